// What a Produce request costs per batch before it reaches the log: validation with every
// record parsed (the default, verify_records:1), validation of header, counts and CRC only
// (verify_records:0), and a full decode into records. The batch is 16 KiB of 1 KiB
// event-like records, once per codec (codec: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "base/check.h"
#include "kafka/record_batch.h"
#include "kafka/record_batch_builder.h"

namespace tarn::kafka {
namespace {

constexpr int kRecords = 16;
constexpr size_t kValueBytes = 1024;

// A JSON envelope padded to 1 KiB: repeated field names, varying ids and amounts, so codecs
// see the redundancy real events have.
std::string EventValue(std::mt19937& rng) {
  std::string v = R"({"id":")" + std::to_string(rng()) +
                  R"(","type":"order-placed","timestamp":1700000000000,"partitionKey":")" +
                  std::to_string(rng() % 1000) + R"(","tags":{"source":"orders","region":"east"},)";
  while (v.size() < kValueBytes - 2) {
    v += R"("line":{"sku":")" + std::to_string(rng() % 100000) + R"(","qty":)" +
         std::to_string(rng() % 10) + "},";
  }
  v.resize(kValueBytes - 1);
  return v + "}";
}

struct Batch {
  Bytes bytes;
  size_t record_bytes = 0;  // uncompressed
};

const Batch& BatchFor(Compression codec) {
  static Batch batches[5];
  Batch& b = batches[static_cast<int>(codec)];
  if (b.bytes.empty()) {
    std::mt19937 rng(42);
    RecordBatchBuilder builder(codec);
    builder.SetProducer(ProducerId(1), ProducerEpoch(0), 0);
    for (int i = 0; i < kRecords; ++i) {
      std::string key = "order-" + std::to_string(rng() % 1000);
      std::string value = EventValue(rng);
      std::string id = std::to_string(rng());
      const RecordHeader headers[] = {{"ce_type", AsBytes("order-placed")}, {"ce_id", AsBytes(id)}};
      builder.Add(AsBytes(key), AsBytes(value), 1'700'000'000'000 + i, headers);
    }
    b.record_bytes = builder.records_bytes();
    Result<Bytes> built = builder.Build();
    TARN_CHECK(built.has_value());
    b.bytes = std::move(*built);
  }
  return b;
}

void Report(benchmark::State& state, Compression codec) {
  const Batch& b = BatchFor(codec);
  state.SetLabel(std::string(CompressionName(codec)) + ", " + std::to_string(b.bytes.size()) +
                 " bytes on the wire");
  state.SetItemsProcessed(state.iterations() * kRecords);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(b.record_bytes));
}

// Arguments: the codec, and whether every record is parsed (verify_records).
void BM_ValidateProducedBatch(benchmark::State& state) {
  auto codec = static_cast<Compression>(state.range(0));
  const Batch& b = BatchFor(codec);
  ProduceValidation options{.produce_version = 9, .verify_records = state.range(1) != 0};
  for (auto _ : state) {
    auto result = ValidateProducedBatch(b.bytes, options);
    if (!result.has_value()) state.SkipWithError(result.error().status.ToString().c_str());
    benchmark::DoNotOptimize(result);
  }
  Report(state, codec);
}
BENCHMARK(BM_ValidateProducedBatch)
    ->ArgNames({"codec", "verify_records"})
    ->ArgsProduct({{0, 1, 2, 3, 4}, {1, 0}});

void BM_DecodeBatch(benchmark::State& state) {
  auto codec = static_cast<Compression>(state.range(0));
  const Batch& b = BatchFor(codec);
  for (auto _ : state) {
    Result<DecodedBatch> decoded = DecodeBatch(b.bytes, 64 << 20);
    if (!decoded.has_value()) state.SkipWithError(decoded.error().ToString().c_str());
    benchmark::DoNotOptimize(decoded);
  }
  Report(state, codec);
}
BENCHMARK(BM_DecodeBatch)->DenseRange(0, 4);

// The broker's own writers (internal topics) build batches too.
void BM_BuildBatch(benchmark::State& state) {
  auto codec = static_cast<Compression>(state.range(0));
  std::mt19937 rng(42);
  std::vector<std::string> values;
  for (int i = 0; i < kRecords; ++i) values.push_back(EventValue(rng));
  for (auto _ : state) {
    RecordBatchBuilder builder(codec);
    for (int i = 0; i < kRecords; ++i) builder.Add(AsBytes("key"), AsBytes(values[i]), i);
    Result<Bytes> built = builder.Build();
    benchmark::DoNotOptimize(built);
  }
  Report(state, codec);
}
BENCHMARK(BM_BuildBatch)->DenseRange(0, 4);

}  // namespace
}  // namespace tarn::kafka
