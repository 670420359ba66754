#include "lake/lake_file.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "base/check.h"
#include "base/file_util.h"
#include "base/text_encoding.h"

namespace tarn::lake {
namespace fs = std::filesystem;

namespace {

// Appends `text` as a JSON string (quotes included). `text` is well-formed UTF-8.
void AppendJsonString(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t plain_from = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(plain_from, i - plain_from));
    plain_from = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
    }
  }
  out.append(text.substr(plain_from));
  out.push_back('"');
}

// `"name":"text"` for UTF-8 text, else `"name_base64":"..."`.
void AppendTextField(std::string_view name, std::string_view bytes, std::string& out) {
  out.push_back('"');
  out.append(name);
  if (IsValidUtf8(bytes)) {
    out.append("\":");
    AppendJsonString(bytes, out);
  } else {
    out.append("_base64\":\"");
    out.append(Base64Encode(bytes));
    out.push_back('"');
  }
}

// The JSON parser of the thread that encodes lines (it keeps its buffers between values).
simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

// Creates `dir` and its missing parents, fsyncing each parent that gained an entry, so that a
// file fsync'd inside cannot vanish with its directory.
Status CreateDirectoriesDurably(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return Status::Ok();
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    TARN_TRY(CreateDirectoriesDurably(dir.parent_path()));
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::FromErrno("mkdir " + dir.string(), errno);
  }
  return SyncDirectory(dir.has_parent_path() ? dir.parent_path() : fs::path("."));
}

std::string ToHex(const unsigned char* bytes, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0xf]);
  }
  return out;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  return ToHex(digest, size);
}

void NoteLine(Manifest& m, int64_t offset, int64_t timestamp, const std::string& type,
              std::optional<int64_t> event_time, size_t line_bytes) {
  if (m.events == 0) {
    m.first_offset = offset;
    m.min_timestamp = m.max_timestamp = timestamp;
  }
  m.last_offset = offset;
  m.end_position = offset + 1;
  m.min_timestamp = std::min(m.min_timestamp, timestamp);
  m.max_timestamp = std::max(m.max_timestamp, timestamp);
  // The time a query files the line under: the event's own, else the record's.
  const int64_t time = event_time.value_or(timestamp);
  m.min_event_time = std::min(m.min_event_time.value_or(time), time);
  m.max_event_time = std::max(m.max_event_time.value_or(time), time);
  if (!type.empty()) ++m.types[type];
  ++m.events;
  m.raw_bytes += static_cast<int64_t>(line_bytes);
}

}  // namespace

void AppendLine(const std::string& topic, const hub::StoredRecord& record, std::string& out,
                std::string* type, std::optional<int64_t>* event_time) {
  out.append("{\"topic\":");
  AppendJsonString(topic, out);
  fmt::format_to(std::back_inserter(out), ",\"partition\":{},\"offset\":{},\"timestamp\":{}",
                 record.partition, record.offset, record.timestamp_ms);
  if (record.key) {
    out.push_back(',');
    AppendTextField("key", *record.key, out);
  }
  if (!record.headers.empty()) {
    out.append(",\"headers\":{");
    bool first = true;
    for (size_t i = 0; i < record.headers.size(); ++i) {
      const hub::RecordHeader& header = record.headers[i];
      bool repeated = false;
      for (size_t j = 0; j < i && !repeated; ++j) repeated = record.headers[j].name == header.name;
      if (repeated || !IsValidUtf8(header.name)) continue;
      if (!first) out.push_back(',');
      first = false;
      AppendTextField(header.name, header.value, out);  // "<name>_base64" when not UTF-8
    }
    out.push_back('}');
  }
  if (!record.value) {
    out.append(",\"tombstone\":true}\n");
    return;
  }
  const std::string& value = *record.value;
  simdjson::dom::element doc;
  if (ThreadParser().parse(value).get(doc) == simdjson::SUCCESS) {
    out.append(",\"event\":");
    const bool one_line = std::memchr(value.data(), '\n', value.size()) == nullptr &&
                          std::memchr(value.data(), '\r', value.size()) == nullptr;
    if (one_line) {
      out.append(value);
    } else {  // line breaks between tokens would split the line
      const size_t at = out.size();
      out.resize(at + value.size());
      size_t written = 0;
      const simdjson::error_code minified =
          simdjson::minify(value.data(), value.size(), out.data() + at, written);
      TARN_CHECK(minified == simdjson::SUCCESS);  // the value parsed, so it minifies
      out.resize(at + written);
    }
    if (doc.is_object()) {
      std::string_view found_type;
      if (type && doc["type"].get(found_type) == simdjson::SUCCESS) type->assign(found_type);
      int64_t time = 0;
      if (event_time && doc["timestamp"].get(time) == simdjson::SUCCESS) *event_time = time;
    }
  } else {
    out.push_back(',');
    AppendTextField("value", value, out);
  }
  out.append("}\n");
}

struct FileBuilder::Compressor {
  ZSTD_CCtx* context = ZSTD_createCCtx();
  std::string compressed;
  std::string scratch = std::string(ZSTD_CStreamOutSize(), '\0');
  ~Compressor() { ZSTD_freeCCtx(context); }

  void Feed(std::string_view bytes, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    for (;;) {
      ZSTD_outBuffer out{scratch.data(), scratch.size(), 0};
      const size_t remaining = ZSTD_compressStream2(context, &out, &in, mode);
      TARN_CHECK(!ZSTD_isError(remaining));
      compressed.append(scratch.data(), out.pos);
      const bool done = mode == ZSTD_e_end ? remaining == 0 : in.pos == in.size;
      if (done) return;
    }
  }
};

FileBuilder::FileBuilder(std::string region, std::string topic, int32_t partition,
                         int64_t start_position, int compression_level)
    : compressor_(std::make_unique<Compressor>()) {
  manifest_.region = std::move(region);
  manifest_.topic = std::move(topic);
  manifest_.partition = partition;
  manifest_.start_position = manifest_.end_position = start_position;
  ZSTD_CCtx_setParameter(compressor_->context, ZSTD_c_compressionLevel, compression_level);
  ZSTD_CCtx_setParameter(compressor_->context, ZSTD_c_checksumFlag, 1);
  // Compression runs on a thread of zstd's own while lines are being made (ignored by a libzstd
  // built without threads).
  ZSTD_CCtx_setParameter(compressor_->context, ZSTD_c_nbWorkers, 1);
}

FileBuilder::~FileBuilder() = default;

void FileBuilder::Add(const hub::StoredRecord& record) {
  line_.clear();
  std::string type;
  std::optional<int64_t> event_time;
  AppendLine(manifest_.topic, record, line_, &type, &event_time);
  NoteLine(manifest_, record.offset, record.timestamp_ms, type, event_time, line_.size());
  compressor_->Feed(line_, ZSTD_e_continue);
}

fs::path HourDirectory(const fs::path& root, const std::string& region, int64_t timestamp_ms) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(timestamp_ms)));
  const year_month_day date(day);
  const auto hour = duration_cast<hours>(milliseconds(timestamp_ms) - day.time_since_epoch());
  return root / region / fmt::format("{:04}", static_cast<int>(date.year())) /
         fmt::format("{:02}", static_cast<unsigned>(date.month())) /
         fmt::format("{:02}", static_cast<unsigned>(date.day())) /
         fmt::format("{:02}", hour.count());
}

Result<Manifest> FileBuilder::Write(const fs::path& root, int64_t now_ms) {
  compressor_->Feed({}, ZSTD_e_end);
  const std::string& bytes = compressor_->compressed;
  const fs::path dir = HourDirectory(root, manifest_.region, manifest_.min_timestamp);
  const std::string stem = LakeFileStem(manifest_.topic, manifest_.partition, manifest_.start_position);
  manifest_.file = stem + std::string(kDataSuffix);
  manifest_.bytes = static_cast<int64_t>(bytes.size());
  manifest_.sha256 = Sha256Hex(bytes);
  manifest_.created_ms = now_ms;
  TARN_TRY(CreateDirectoriesDurably(dir));
  TARN_TRY(WriteFileAtomically(dir / manifest_.file, bytes));
  TARN_TRY(WriteFileAtomically(dir / (stem + std::string(kManifestSuffix)),
                               ManifestToJson(manifest_).dump() + "\n"));
  compressor_.reset();
  return manifest_;
}

Result<std::string> FileSha256(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error(Status::FromErrno("open " + path.string(), errno));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr);
  std::string buffer(1 << 20, '\0');
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error(Status::FromErrno("read " + path.string(), errno));
    }
    if (n == 0) break;
    EVP_DigestUpdate(context.get(), buffer.data(), static_cast<size_t>(n));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(context.get(), digest, &size);
  return ToHex(digest, size);
}

Status ForEachLine(const fs::path& path, const std::function<bool(std::string_view)>& line) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno("open " + path.string(), errno);
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(), ZSTD_freeDCtx);
  std::string input(ZSTD_DStreamInSize(), '\0');
  std::string output(ZSTD_DStreamOutSize(), '\0');
  std::string pending;  // the start of a line whose end has not been decompressed yet
  size_t frame_remaining = 1;
  for (;;) {
    ssize_t n = ::read(fd.get(), input.data(), input.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("read " + path.string(), errno);
    }
    if (n == 0) break;
    ZSTD_inBuffer in{input.data(), static_cast<size_t>(n), 0};
    while (in.pos < in.size) {
      ZSTD_outBuffer out{output.data(), output.size(), 0};
      frame_remaining = ZSTD_decompressStream(context.get(), &out, &in);
      if (ZSTD_isError(frame_remaining)) {
        return Status::Corruption(
            fmt::format("{}: {}", path.string(), ZSTD_getErrorName(frame_remaining)));
      }
      std::string_view produced(output.data(), out.pos);
      while (!produced.empty()) {
        const size_t newline = produced.find('\n');
        if (newline == std::string_view::npos) {
          pending.append(produced);
          break;
        }
        bool go_on;
        if (pending.empty()) {
          go_on = line(produced.substr(0, newline));
        } else {
          pending.append(produced.substr(0, newline));
          go_on = line(pending);
          pending.clear();
        }
        if (!go_on) return Status::Ok();
        produced.remove_prefix(newline + 1);
      }
    }
  }
  if (frame_remaining != 0) return Status::Corruption(path.string() + ": the file is cut short");
  if (!pending.empty()) return Status::Corruption(path.string() + ": the last line has no newline");
  return Status::Ok();
}

Result<Manifest> RebuildManifest(const fs::path& data_file, const std::string& region,
                                 int64_t now_ms) {
  std::string name = data_file.filename().string();
  const std::string stem = name.substr(0, name.size() - kDataSuffix.size());
  const size_t second_plus = stem.rfind('+');
  const size_t first_plus = second_plus == std::string::npos ? std::string::npos
                                                             : stem.rfind('+', second_plus - 1);
  if (first_plus == std::string::npos) {
    return Error(Status::Corruption(data_file.string() + ": not a lake file name"));
  }
  Manifest m;
  m.file = name;
  m.region = region;
  m.topic = stem.substr(0, first_plus);
  try {
    m.partition = std::stoi(stem.substr(first_plus + 1, second_plus - first_plus - 1));
    m.start_position = m.end_position = std::stoll(stem.substr(second_plus + 1));
  } catch (const std::exception&) {
    return Error(Status::Corruption(data_file.string() + ": not a lake file name"));
  }
  Status bad;
  Status read = ForEachLine(data_file, [&](std::string_view text) {
    simdjson::dom::element line;
    int64_t offset = 0, timestamp = 0;
    if (ThreadParser().parse(text.data(), text.size()).get(line) != simdjson::SUCCESS ||
        line["offset"].get(offset) != simdjson::SUCCESS ||
        line["timestamp"].get(timestamp) != simdjson::SUCCESS) {
      bad = Status::Corruption(data_file.string() + ": a line that is not a lake record");
      return false;
    }
    std::string type;
    std::optional<int64_t> event_time;
    simdjson::dom::element event;
    if (line["event"].get(event) == simdjson::SUCCESS && event.is_object()) {
      std::string_view found_type;
      if (event["type"].get(found_type) == simdjson::SUCCESS) type.assign(found_type);
      int64_t time = 0;
      if (event["timestamp"].get(time) == simdjson::SUCCESS) event_time = time;
    }
    NoteLine(m, offset, timestamp, type, event_time, text.size() + 1);
    return true;
  });
  TARN_TRY(read);
  TARN_TRY(bad);
  TARN_ASSIGN_OR_RETURN(m.sha256, FileSha256(data_file));
  m.bytes = static_cast<int64_t>(fs::file_size(data_file));
  m.created_ms = now_ms;
  const fs::path manifest_path = data_file.parent_path() / (stem + std::string(kManifestSuffix));
  TARN_TRY(WriteFileAtomically(manifest_path, ManifestToJson(m).dump() + "\n"));
  return m;
}

}  // namespace tarn::lake
