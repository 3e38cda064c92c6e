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
#include "protocol/messages/delete_groups_request.h"
#include "protocol/messages/delete_groups_response.h"
#include "protocol/messages/describe_groups_request.h"
#include "protocol/messages/describe_groups_response.h"
#include "protocol/messages/find_coordinator_request.h"
#include "protocol/messages/find_coordinator_response.h"
#include "protocol/messages/heartbeat_request.h"
#include "protocol/messages/heartbeat_response.h"
#include "protocol/messages/join_group_request.h"
#include "protocol/messages/join_group_response.h"
#include "protocol/messages/leave_group_request.h"
#include "protocol/messages/leave_group_response.h"
#include "protocol/messages/list_groups_request.h"
#include "protocol/messages/list_groups_response.h"
#include "protocol/messages/offset_commit_request.h"
#include "protocol/messages/offset_commit_response.h"
#include "protocol/messages/offset_delete_request.h"
#include "protocol/messages/offset_delete_response.h"
#include "protocol/messages/offset_fetch_request.h"
#include "protocol/messages/offset_fetch_response.h"
#include "protocol/messages/offset_for_leader_epoch_request.h"
#include "protocol/messages/offset_for_leader_epoch_response.h"
#include "protocol/messages/sync_group_request.h"
#include "protocol/messages/sync_group_response.h"

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
HandlerResult HandleFindCoordinator(RequestContext&, const FindCoordinatorRequest&, FindCoordinatorResponse&);
HandlerResult HandleJoinGroup(RequestContext&, const JoinGroupRequest&, JoinGroupResponse&);
HandlerResult HandleSyncGroup(RequestContext&, const SyncGroupRequest&, SyncGroupResponse&);
HandlerResult HandleHeartbeat(RequestContext&, const HeartbeatRequest&, HeartbeatResponse&);
HandlerResult HandleLeaveGroup(RequestContext&, const LeaveGroupRequest&, LeaveGroupResponse&);
HandlerResult HandleOffsetCommit(RequestContext&, const OffsetCommitRequest&, OffsetCommitResponse&);
HandlerResult HandleOffsetFetch(RequestContext&, const OffsetFetchRequest&, OffsetFetchResponse&);
HandlerResult HandleOffsetDelete(RequestContext&, const OffsetDeleteRequest&, OffsetDeleteResponse&);
HandlerResult HandleDescribeGroups(RequestContext&, const DescribeGroupsRequest&, DescribeGroupsResponse&);
HandlerResult HandleListGroups(RequestContext&, const ListGroupsRequest&, ListGroupsResponse&);
HandlerResult HandleDeleteGroups(RequestContext&, const DeleteGroupsRequest&, DeleteGroupsResponse&);
HandlerResult HandleOffsetForLeaderEpoch(RequestContext&, const OffsetForLeaderEpochRequest&,
                                         OffsetForLeaderEpochResponse&);

// Fills an ApiVersions response listing every supported API.
void FillApiVersions(ApiVersionsResponse& response);

}  // namespace kafscale::kafka
