#include "kafka/dispatcher.h"
#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

void FillApiVersions(ApiVersionsResponse& response) {
  for (const SupportedApi& api : SupportedApis()) {
    ApiVersionsResponse::ApiVersion entry;
    entry.api_key = api.key;
    entry.min_version = api.min_version;
    entry.max_version = api.max_version;
    response.api_keys.push_back(entry);
  }
}

HandlerResult HandleApiVersions(RequestContext&, const ApiVersionsRequest&, ApiVersionsResponse& response) {
  FillApiVersions(response);
  co_return;
}

}  // namespace kafscale::kafka
