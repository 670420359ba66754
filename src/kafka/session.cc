#include "kafka/session.h"

#include <spdlog/spdlog.h>

#include <array>
#include <string>

#include "kafka/handlers/handler.h"
#include "net/asio.h"

namespace tarn::kafka {
namespace {

using HandlerFn = Awaitable<HandlerResult> (*)(RequestContext&);

struct Route {
  ApiKey key;
  HandlerFn handler;
};

// In key order; ApiVersions advertises exactly these.
constexpr std::array kRoutes = {
    Route{ApiKey::kProduce, &HandleProduce},
    Route{ApiKey::kFetch, &HandleFetch},
    Route{ApiKey::kListOffsets, &HandleListOffsets},
    Route{ApiKey::kMetadata, &HandleMetadata},
    Route{ApiKey::kOffsetCommit, &HandleOffsetCommit},
    Route{ApiKey::kOffsetFetch, &HandleOffsetFetch},
    Route{ApiKey::kFindCoordinator, &HandleFindCoordinator},
    Route{ApiKey::kJoinGroup, &HandleJoinGroup},
    Route{ApiKey::kHeartbeat, &HandleHeartbeat},
    Route{ApiKey::kLeaveGroup, &HandleLeaveGroup},
    Route{ApiKey::kSyncGroup, &HandleSyncGroup},
    Route{ApiKey::kDescribeGroups, &HandleDescribeGroups},
    Route{ApiKey::kListGroups, &HandleListGroups},
    Route{ApiKey::kApiVersions, &HandleApiVersions},
    Route{ApiKey::kCreateTopics, &HandleCreateTopics},
    Route{ApiKey::kDeleteTopics, &HandleDeleteTopics},
    Route{ApiKey::kInitProducerId, &HandleInitProducerId},
    Route{ApiKey::kDescribeConfigs, &HandleDescribeConfigs},
};

constexpr auto kServedKeys = [] {
  std::array<ApiKey, kRoutes.size()> keys{};
  for (size_t i = 0; i < kRoutes.size(); ++i) keys[i] = kRoutes[i].key;
  return keys;
}();

const Route* FindRoute(ApiKey key) {
  for (const Route& r : kRoutes) {
    if (r.key == key) return &r;
  }
  return nullptr;
}

class Session : public net::FrameHandler {
 public:
  Session(Broker& broker, GroupCoordinator& groups, net::ConnectionInfo info)
      : broker_(broker), groups_(groups), info_(std::move(info)) {}

  Awaitable<Result<std::optional<Bytes>>> Handle(Bytes frame) override {
    WireReader reader{MutableByteView(frame)};
    auto header = RequestHeader::Decode(reader);
    if (!header.has_value()) co_return Error(header.error());
    const Route* route = FindRoute(header->api_key);
    const int key = static_cast<int>(header->api_key);
    if (route == nullptr) {
      co_return Error(Status::Unsupported("unknown API key " + std::to_string(key)));
    }
    if (!IsSupported(header->api_key, header->api_version) &&
        header->api_key != ApiKey::kApiVersions) {
      co_return Error(Status::Unsupported(std::string(ApiName(header->api_key)) + " v" +
                                          std::to_string(header->api_version) +
                                          " is not supported"));
    }
    RequestContext ctx{broker_, groups_, *header, reader, info_.peer};
    auto start = std::chrono::steady_clock::now();
    HandlerResult result = co_await route->handler(ctx);
    broker_.ObserveRequest(header->api_key, std::chrono::steady_clock::now() - start);
    if (!result.has_value()) {
      co_return Error(result.error().WithContext(std::string(ApiName(header->api_key)) + " v" +
                                                 std::to_string(header->api_version) +
                                                 " from client '" +
                                                 header->client_id.value_or("") + "'"));
    }
    co_return result;
  }

 private:
  Broker& broker_;
  GroupCoordinator& groups_;
  net::ConnectionInfo info_;
};

}  // namespace

std::span<const ApiKey> ServedApis() { return kServedKeys; }

int16_t AdvertisedMinVersion(ApiKey key) {
  if (key == ApiKey::kProduce) return 0;
  const ApiSupport* api = FindApi(key);
  return api ? api->min_version : 0;
}

std::unique_ptr<net::FrameHandler> MakeSession(Broker& broker, GroupCoordinator& groups,
                                               const net::ConnectionInfo& info) {
  return std::make_unique<Session>(broker, groups, info);
}

}  // namespace tarn::kafka
