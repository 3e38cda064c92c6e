// The stored form of a topic: kafscale.metadata.TopicConfig (protobuf), as
// the original KafScale writes it, plus the topic id in field 100.
#pragma once

#include <string>
#include <string_view>

#include "cluster/topic_manager.h"
#include "common/status.h"

namespace kafscale::cluster {

std::string EncodeTopicRecord(const TopicInfo& info);
Status DecodeTopicRecord(std::string_view bytes, TopicInfo* info);

}  // namespace kafscale::cluster
