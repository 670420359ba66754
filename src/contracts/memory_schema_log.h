// A SchemaLog in memory, for tests: records are kept in a vector shared with the test, so that
// a new registry can replay what an earlier one wrote, and a write can be made to fail.
#pragma once

#include <memory>

#include "contracts/schema_log.h"

namespace tarn::contracts {

class MemorySchemaLog : public SchemaLog {
 public:
  struct Shared {
    std::vector<SchemaLogRecord> records;
    Status fail_appends;  // when not OK, Append returns it and keeps nothing
  };

  explicit MemorySchemaLog(std::shared_ptr<Shared> shared = std::make_shared<Shared>())
      : shared_(std::move(shared)) {}

  const std::shared_ptr<Shared>& shared() const { return shared_; }

  Awaitable<Result<std::vector<SchemaLogRecord>>> ReadAll() override {
    co_return shared_->records;
  }

  Awaitable<Status> Append(std::vector<SchemaLogRecord> records) override {
    if (!shared_->fail_appends.ok()) co_return shared_->fail_appends;
    for (SchemaLogRecord& record : records) shared_->records.push_back(std::move(record));
    co_return Status::Ok();
  }

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace tarn::contracts
