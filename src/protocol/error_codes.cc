#include "protocol/error_codes.h"

namespace kafscale::kafka {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
#define KAFSCALE_KAFKA_ERROR_NAME(name, value, kafka_name, retriable) \
  case ErrorCode::name:                                               \
    return kafka_name;
    KAFSCALE_KAFKA_ERROR_CODES(KAFSCALE_KAFKA_ERROR_NAME)
#undef KAFSCALE_KAFKA_ERROR_NAME
  }
  return "UNKNOWN";
}

bool IsRetriable(ErrorCode code) {
  switch (code) {
#define KAFSCALE_KAFKA_ERROR_RETRIABLE(name, value, kafka_name, retriable) \
  case ErrorCode::name:                                                    \
    return retriable;
    KAFSCALE_KAFKA_ERROR_CODES(KAFSCALE_KAFKA_ERROR_RETRIABLE)
#undef KAFSCALE_KAFKA_ERROR_RETRIABLE
  }
  return false;
}

}  // namespace kafscale::kafka
