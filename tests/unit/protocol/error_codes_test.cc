#include "protocol/error_codes.h"

#include <gtest/gtest.h>

#include <string>

namespace kafscale::kafka {
namespace {

TEST(ErrorCodesTest, WireValuesMatchKafka) {
  EXPECT_EQ(ToWire(ErrorCode::kUnknownServerError), -1);
  EXPECT_EQ(ToWire(ErrorCode::kNone), 0);
  EXPECT_EQ(ToWire(ErrorCode::kOffsetOutOfRange), 1);
  EXPECT_EQ(ToWire(ErrorCode::kNotLeaderOrFollower), 6);
  EXPECT_EQ(ToWire(ErrorCode::kNotCoordinator), 16);
  EXPECT_EQ(ToWire(ErrorCode::kRebalanceInProgress), 27);
  EXPECT_EQ(ToWire(ErrorCode::kUnsupportedVersion), 35);
  EXPECT_EQ(ToWire(ErrorCode::kTopicAlreadyExists), 36);
  EXPECT_EQ(ToWire(ErrorCode::kInvalidRecord), 87);
  EXPECT_EQ(ToWire(ErrorCode::kUnknownTopicId), 100);
  EXPECT_EQ(ToWire(ErrorCode::kTransactionAbortable), 120);
}

TEST(ErrorCodesTest, NamesAreKafkas) {
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kNone), "NONE");
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kNotLeaderOrFollower), "NOT_LEADER_OR_FOLLOWER");
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kFencedInstanceId), "FENCED_INSTANCE_ID");
  EXPECT_STREQ(ErrorCodeName(static_cast<ErrorCode>(4242)), "UNKNOWN");
}

TEST(ErrorCodesTest, EveryCodeFromMinusOneTo129HasAName) {
  for (int code = -1; code <= 129; ++code) {
    EXPECT_STRNE(ErrorCodeName(static_cast<ErrorCode>(code)), "UNKNOWN") << code;
  }
}

TEST(ErrorCodesTest, Retriability) {
  for (ErrorCode code : {ErrorCode::kCorruptMessage, ErrorCode::kUnknownTopicOrPartition,
                         ErrorCode::kLeaderNotAvailable, ErrorCode::kNotLeaderOrFollower,
                         ErrorCode::kRequestTimedOut, ErrorCode::kCoordinatorNotAvailable,
                         ErrorCode::kNotCoordinator, ErrorCode::kCoordinatorLoadInProgress,
                         ErrorCode::kKafkaStorageError, ErrorCode::kUnknownTopicId,
                         ErrorCode::kFencedLeaderEpoch, ErrorCode::kNotEnoughReplicas}) {
    EXPECT_TRUE(IsRetriable(code)) << ErrorCodeName(code);
  }
  for (ErrorCode code : {ErrorCode::kNone, ErrorCode::kUnknownServerError,
                         ErrorCode::kOffsetOutOfRange, ErrorCode::kMessageTooLarge,
                         ErrorCode::kRebalanceInProgress, ErrorCode::kUnknownMemberId,
                         ErrorCode::kIllegalGeneration, ErrorCode::kTopicAlreadyExists,
                         ErrorCode::kInvalidRecord, ErrorCode::kProducerFenced}) {
    EXPECT_FALSE(IsRetriable(code)) << ErrorCodeName(code);
  }
  EXPECT_FALSE(IsRetriable(static_cast<ErrorCode>(4242)));
}

}  // namespace
}  // namespace kafscale::kafka
