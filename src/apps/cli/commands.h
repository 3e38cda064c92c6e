// The commands of the kafscale CLI. Each talks to the cluster through a
// ClusterClient and returns what to show (or a failure Status, which the CLI
// prints and turns into exit code 1). None is thread-safe: they use the one
// client they are given.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

#include "apps/cli/command_line.h"
#include "apps/cli/output.h"
#include "apps/cli/progress.h"
#include "client/cluster_client.h"
#include "common/status.h"
#include "protocol/messages/describe_configs_response.h"
#include "protocol/messages/metadata_response.h"

namespace kafscale::cli {

using client::ClusterClient;

// Topics.
Result<CommandResult> RunTopicsList(ClusterClient& client);
Result<CommandResult> RunTopicsCreate(ClusterClient& client, const TopicsCreateArgs& args,
                                      std::chrono::milliseconds timeout);
Result<CommandResult> RunTopicsDescribe(ClusterClient& client, const std::string& topic);
Result<CommandResult> RunTopicsDelete(ClusterClient& client, const std::vector<std::string>& topics,
                                      std::chrono::milliseconds timeout);
Result<CommandResult> RunTopicsAlterConfig(ClusterClient& client, const TopicsAlterConfigArgs& args);

// Consumer groups.
Result<CommandResult> RunGroupsList(ClusterClient& client);
Result<CommandResult> RunGroupsDescribe(ClusterClient& client, const std::string& group);
Result<CommandResult> RunGroupsResetOffsets(ClusterClient& client, const ResetOffsetsArgs& args);
Result<CommandResult> RunGroupsDelete(ClusterClient& client, const std::vector<std::string>& groups);

// Cluster.
Result<CommandResult> RunClusterStatus(ClusterClient& client, const std::string& metrics_url,
                                       std::chrono::milliseconds timeout);

// Data. Produce reads lines from `input_fd` until end of input; consume
// writes one line per record to `out` as it goes.
Result<CommandResult> RunProduce(ClusterClient& client, const ProduceArgs& args, int input_fd, Progress& progress);
Status RunConsume(ClusterClient& client, const ConsumeArgs& args, OutputFormat format, std::ostream& out);
Result<CommandResult> RunRestore(ClusterClient& client, const RestoreArgs& args, std::chrono::milliseconds timeout,
                                 Progress& progress);

// Helpers shared by the commands.

// The topic's metadata. Errors: NotFound "topic X does not exist", others.
Result<kafka::MetadataResponse::MetadataResponseTopic> DescribeTopicMetadata(ClusterClient& client,
                                                                             const std::string& topic);
// Partition ids of a topic's metadata, ascending.
std::vector<int32_t> PartitionIds(const kafka::MetadataResponse::MetadataResponseTopic& topic);
using TopicConfig = kafka::DescribeConfigsResponse::DescribeConfigsResourceResult;
// Every config of a topic as the broker describes it.
Result<std::vector<TopicConfig>> DescribeTopicConfigs(ClusterClient& client, const std::string& topic);
// Creates a topic and waits until every partition has a leader.
Status CreateTopic(ClusterClient& client, const TopicsCreateArgs& args, std::chrono::milliseconds timeout);

}  // namespace kafscale::cli
