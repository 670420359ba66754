#include "lake/lake_routes.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/strings.h"
#include "http/message.h"
#include "http/server.h"
#include "lake/archiver.h"
#include "lake/catalog.h"
#include "lake/query.h"
#include "net/asio.h"
#include "net/on_worker.h"

namespace tarn::lake {
namespace {

// A comma-separated parameter's items, without empty ones.
std::vector<std::string> ParamList(const std::string& text) {
  std::vector<std::string> items;
  for (std::string_view item : SplitList(text)) {
    if (!item.empty()) items.emplace_back(item);
  }
  return items;
}

std::string Param(const http::Request& request, const std::string& name) {
  auto it = request.query.find(name);
  return it == request.query.end() ? std::string() : it->second;
}

}  // namespace

struct LakeApi::State {
  std::filesystem::path root, fault_root;
  const Archiver* archiver;
  asio::thread_pool reader{1};
};

LakeApi::LakeApi(std::filesystem::path root, std::filesystem::path fault_root, const Archiver* archiver)
    : state_(std::make_shared<State>()) {
  state_->root = std::move(root);
  state_->fault_root = std::move(fault_root);
  state_->archiver = archiver;
}

LakeApi::~LakeApi() { state_->reader.join(); }

void LakeApi::AddRoutes(http::Server& server) {
  std::shared_ptr<State> state = state_;

  // ?lake=faults reads the fault lake.
  auto load = [state](const http::Request& request) -> Awaitable<Result<std::shared_ptr<Catalog>>> {
    const std::filesystem::path root = Param(request, "lake") == "faults" ? state->fault_root : state->root;
    auto read = [root]() -> Result<std::shared_ptr<Catalog>> {
      TARN_ASSIGN_OR_RETURN(Catalog catalog, Catalog::Load(root, /*recover=*/false, SystemClock().NowMs()));
      return std::make_shared<Catalog>(std::move(catalog));
    };
    co_return co_await net::OnWorker(state->reader, std::move(read));
  };

  server.RouteAsync("GET", "/v1/lake/events", [state, load](http::Request request) -> Awaitable<http::Response> {
    QueryArgs args;
    args.from = Param(request, "from");
    args.to = Param(request, "to");
    args.key = Param(request, "key");
    args.where = Param(request, "where");
    args.types = ParamList(Param(request, "type"));
    args.topics = ParamList(Param(request, "topic"));
    if (std::string limit = Param(request, "limit"); !limit.empty()) {
      try {
        args.limit = std::stoll(limit);
      } catch (const std::exception&) {
        args.limit = -1;
      }
    }
    Result<Query> query = BuildQuery(args);
    if (!query) co_return http::StatusResponse(query.error());
    Result<std::shared_ptr<Catalog>> catalog = co_await load(request);
    if (!catalog) co_return http::StatusResponse(catalog.error());

    http::Response response{.status = 200, .content_type = "application/x-ndjson"};
    response.stream = [state, catalog = *catalog,
                       query = std::make_shared<Query>(std::move(*query))](http::BodyWriter& writer) -> Awaitable<void> {
      std::vector<const CatalogEntry*> files = catalog->Select(query->files);
      QueryProgress progress = StartProgress(files);
      for (const CatalogEntry* entry : files) {
        std::string chunk;
        auto read_file = [&]() {
          return QueryFile(*entry, *query, [&](const LakeLine& line) {
            chunk.append(line.text);
            chunk.push_back('\n');
            return true;
          }, progress);
        };
        Status read = co_await net::OnWorker(state->reader, std::move(read_file));
        if (!chunk.empty() && !co_await writer.Write(std::move(chunk))) co_return;
        if (!read.ok()) {  // the stream has begun: the error is its last line
          std::string error = http::JsonError(500, "corruption", read.message()).body + "\n";
          co_await writer.Write(std::move(error));
          co_return;
        }
        if (progress.stopped) co_return;
      }
    };
    co_return response;
  });

  server.RouteAsync("GET", "/v1/lake/status", [state, load](http::Request request) -> Awaitable<http::Response> {
    Result<std::shared_ptr<Catalog>> catalog = co_await load(request);
    if (!catalog) co_return http::StatusResponse(catalog.error());
    int64_t events = 0, bytes = 0, raw_bytes = 0;
    nlohmann::json ends = nlohmann::json::object();
    for (const CatalogEntry& entry : (*catalog)->entries()) {
      events += entry.manifest.events;
      bytes += entry.manifest.bytes;
      raw_bytes += entry.manifest.raw_bytes;
    }
    for (const auto& [partition, end] : (*catalog)->EndPositions()) {
      ends[partition.first + "/" + std::to_string(partition.second)] = end;
    }
    nlohmann::json body = {{"files", (*catalog)->entries().size()}, {"events", events},
                           {"bytes", bytes},  {"raw_bytes", raw_bytes},
                           {"end_positions", ends}, {"lag", nlohmann::json::object()}};
    if (state->archiver) body["lag"] = state->archiver->Lag();
    co_return http::Response{.status = 200, .body = body.dump()};
  });
}

}  // namespace tarn::lake
