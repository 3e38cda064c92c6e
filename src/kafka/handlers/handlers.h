// One handler per Kafka API, each in its own file under handlers/. A handler
// reads the decoded request, calls domain services and fills the response;
// the dispatcher does decoding, version checks and encoding.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "kafka/request_context.h"
#include "protocol/messages/api_versions_request.h"
#include "protocol/messages/api_versions_response.h"
#include "protocol/messages/alter_configs_request.h"
#include "protocol/messages/alter_configs_response.h"
#include "protocol/messages/create_partitions_request.h"
#include "protocol/messages/create_partitions_response.h"
#include "protocol/messages/create_topics_request.h"
#include "protocol/messages/create_topics_response.h"
#include "protocol/messages/delete_topics_request.h"
#include "protocol/messages/delete_topics_response.h"
#include "protocol/messages/describe_cluster_request.h"
#include "protocol/messages/describe_cluster_response.h"
#include "protocol/messages/describe_configs_request.h"
#include "protocol/messages/describe_configs_response.h"
#include "protocol/messages/fetch_request.h"
#include "protocol/messages/fetch_response.h"
#include "protocol/messages/incremental_alter_configs_request.h"
#include "protocol/messages/incremental_alter_configs_response.h"
#include "protocol/messages/list_offsets_request.h"
#include "protocol/messages/list_offsets_response.h"
#include "protocol/messages/metadata_request.h"
#include "protocol/messages/metadata_response.h"
#include "protocol/messages/produce_request.h"
#include "protocol/messages/produce_response.h"

namespace kafscale::kafka {

using HandlerResult = boost::asio::awaitable<void>;

HandlerResult HandleApiVersions(RequestContext&, const ApiVersionsRequest&, ApiVersionsResponse&);
HandlerResult HandleMetadata(RequestContext&, const MetadataRequest&, MetadataResponse&);
HandlerResult HandleProduce(RequestContext&, const ProduceRequest&, ProduceResponse&);
HandlerResult HandleFetch(RequestContext&, const FetchRequest&, FetchResponse&);
HandlerResult HandleListOffsets(RequestContext&, const ListOffsetsRequest&, ListOffsetsResponse&);
HandlerResult HandleCreateTopics(RequestContext&, const CreateTopicsRequest&, CreateTopicsResponse&);
HandlerResult HandleDeleteTopics(RequestContext&, const DeleteTopicsRequest&, DeleteTopicsResponse&);
HandlerResult HandleCreatePartitions(RequestContext&, const CreatePartitionsRequest&, CreatePartitionsResponse&);
HandlerResult HandleDescribeConfigs(RequestContext&, const DescribeConfigsRequest&, DescribeConfigsResponse&);
HandlerResult HandleAlterConfigs(RequestContext&, const AlterConfigsRequest&, AlterConfigsResponse&);
HandlerResult HandleIncrementalAlterConfigs(RequestContext&, const IncrementalAlterConfigsRequest&,
                                            IncrementalAlterConfigsResponse&);
HandlerResult HandleDescribeCluster(RequestContext&, const DescribeClusterRequest&, DescribeClusterResponse&);

// Fills an ApiVersions response listing every supported API.
void FillApiVersions(ApiVersionsResponse& response);

}  // namespace kafscale::kafka
