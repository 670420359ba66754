#include "app/record_format.h"

#include <nlohmann/json.hpp>

#include "base/text_encoding.h"

// ordered_json keeps the fields in the documented order.

namespace tarn::app {
namespace {

// `bytes` on one line: backslash and control characters escaped, bytes that are not UTF-8 as
// \xNN.
void AppendEscaped(std::string_view bytes, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  while (!bytes.empty()) {
    const auto c = static_cast<uint8_t>(bytes.front());
    size_t length = Utf8SequenceLength(bytes);
    if (length > 1) {
      out.append(bytes.substr(0, length));
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (length == 0 || c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
    bytes.remove_prefix(length > 1 ? length : 1);
  }
}

nlohmann::ordered_json BytesToJson(std::optional<std::string_view> bytes) {
  if (!bytes.has_value()) return nullptr;
  if (IsValidUtf8(*bytes)) return std::string(*bytes);
  return {{"base64", Base64Encode(*bytes)}};
}

std::string FormatText(const RecordView& record) {
  std::string line = "p" + std::to_string(record.partition) + "@" + std::to_string(record.offset);
  if (record.key.has_value()) {
    line += " key=";
    AppendEscaped(*record.key, line);
  }
  for (const auto& [name, value] : record.headers) {
    line += ' ';
    AppendEscaped(name, line);
    if (value.has_value()) {
      line += '=';
      AppendEscaped(*value, line);
    }
  }
  line += '\t';
  if (record.value.has_value()) {
    AppendEscaped(*record.value, line);
  } else {
    line += "(null)";
  }
  return line;
}

std::string FormatJson(const RecordView& record) {
  nlohmann::ordered_json headers = nlohmann::ordered_json::object();
  for (const auto& [name, value] : record.headers) {
    const std::string key(name);
    nlohmann::ordered_json encoded = BytesToJson(value);
    auto existing = headers.find(key);
    if (existing == headers.end()) {
      headers[key] = std::move(encoded);
    } else {
      if (!existing->is_array()) *existing = nlohmann::ordered_json::array({std::move(*existing)});
      existing->push_back(std::move(encoded));
    }
  }
  nlohmann::ordered_json json = {
      {"topic", std::string(record.topic)},
      {"partition", record.partition},
      {"offset", record.offset},
      {"timestamp", record.timestamp_ms},
      {"key", BytesToJson(record.key)},
      {"headers", std::move(headers)},
      {"value", BytesToJson(record.value)},
  };
  // Header names and the topic are not checked for UTF-8: replace rather than throw.
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

std::string FormatRecord(const RecordView& record, RecordFormat format) {
  return format == RecordFormat::kJson ? FormatJson(record) : FormatText(record);
}

}  // namespace tarn::app
