// The lake over HTTP (docs/lake.md): GET /v1/lake/events streams a query's matching lines as
// NDJSON; GET /v1/lake/status counts the files and shows the archiver's lag.
#pragma once

#include <filesystem>
#include <memory>

namespace tarn::http {
class Server;
}  // namespace tarn::http

namespace tarn::lake {

class Archiver;

class LakeApi {
 public:
  // Reads the lakes at `root` and `fault_root` on a thread of its own; `archiver` (may be null)
  // supplies the lag. Both must outlive the server's io_context run.
  LakeApi(std::filesystem::path root, std::filesystem::path fault_root, const Archiver* archiver);
  ~LakeApi();
  LakeApi(const LakeApi&) = delete;
  LakeApi& operator=(const LakeApi&) = delete;

  void AddRoutes(http::Server& server);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace tarn::lake
