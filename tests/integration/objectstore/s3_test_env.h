// The radosgw (or other S3) endpoint the integration tests use, from the
// KAFSCALE_TEST_S3_* variables that scripts/rgw.sh writes to DIR/env.
#pragma once

#include <cstdlib>
#include <string>

#include "common/status.h"
#include "objectstore/s3_object_store.h"

namespace kafscale::testing {

// The bucket the tests share; each test works under its own key prefix.
inline constexpr char kS3TestBucket[] = "kafscale-integration";

// Options for `bucket` on the test endpoint, path-style, with short retry
// delays. Errors: InvalidArgument naming a missing variable and how to set it.
inline Result<S3Options> S3TestOptions(const std::string& bucket = kS3TestBucket) {
  S3Options options;
  struct Variable {
    const char* name;
    std::string* target;
  };
  for (const Variable& variable : {Variable{"KAFSCALE_TEST_S3_ENDPOINT", &options.endpoint},
                                   Variable{"KAFSCALE_TEST_S3_ACCESS_KEY", &options.access_key_id},
                                   Variable{"KAFSCALE_TEST_S3_SECRET_KEY", &options.secret_access_key},
                                   Variable{"KAFSCALE_TEST_S3_REGION", &options.region}}) {
    const char* value = std::getenv(variable.name);
    if (value == nullptr || *value == '\0') {
      return Status::InvalidArgument(std::string(variable.name) +
                                     " is not set: start radosgw with `scripts/rgw.sh start DIR`, then "
                                     "`set -a; . DIR/env; set +a` before running the integration tests");
    }
    *variable.target = value;
  }
  options.bucket = bucket;
  options.path_style = true;
  options.create_bucket_if_missing = true;
  options.retry_base_delay = std::chrono::milliseconds(20);
  options.retry_max_delay = std::chrono::milliseconds(500);
  return options;
}

}  // namespace kafscale::testing
