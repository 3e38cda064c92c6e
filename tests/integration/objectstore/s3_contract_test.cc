// The ObjectStore contract against S3ObjectStore on a real S3 service
// (radosgw from scripts/rgw.sh).
#include "objectstore/object_store_contract.h"

#include "objectstore/s3_test_env.h"

namespace kafscale::testing {
namespace {

class S3UnderTest : public ObjectStoreUnderTest {
 public:
  explicit S3UnderTest(std::unique_ptr<S3ObjectStore> store) : store_(std::move(store)) {}
  ObjectStore& store() override { return *store_; }

 private:
  std::unique_ptr<S3ObjectStore> store_;
};

// nullptr (and a test failure saying why) when the endpoint is not configured
// or cannot be opened.
std::unique_ptr<ObjectStoreUnderTest> MakeS3UnderTest(bool sign_payload) {
  Result<S3Options> options = S3TestOptions();
  if (!options.ok()) {
    ADD_FAILURE() << options.status().ToString();
    return nullptr;
  }
  options->sign_payload = sign_payload;
  Result<std::unique_ptr<S3ObjectStore>> store = S3ObjectStore::Open(*options);
  if (!store.ok()) {
    ADD_FAILURE() << "S3ObjectStore::Open: " << store.status().ToString();
    return nullptr;
  }
  return std::make_unique<S3UnderTest>(std::move(store).value());
}

INSTANTIATE_TEST_SUITE_P(
    S3, ObjectStoreContractTest,
    ::testing::Values(ObjectStoreContractParam{"RadosGateway", [] { return MakeS3UnderTest(true); }},
                      ObjectStoreContractParam{"RadosGatewayUnsignedPayload", [] { return MakeS3UnderTest(false); }}),
    ObjectStoreContractName);

}  // namespace
}  // namespace kafscale::testing
