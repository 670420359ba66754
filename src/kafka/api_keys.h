// Kafka API keys, and the table of the versions this codec decodes and encodes.
//
// The table says what the codec can read and write, nothing more. The broker advertises in
// ApiVersions only the keys it also has a handler for (FindApi(key) for each handler), and closes
// the connection on any other key or version: a codec without a handler is never advertised.
// The ranges are the ones the target clients need (librdkafka 2.0, kafka-python 2.0, kafkajs 2.2);
// first flexible versions come from Kafka's message schemas (clients/src/main/resources/common/
// message/*.json in apache/kafka 3.8), which also define every field in messages/.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tarn::kafka {

// X(constant, key, Kafka's name): one list makes the enum and ApiName.
#define TARN_KAFKA_API_KEYS(X)                         \
  X(kProduce, 0, "Produce")                            \
  X(kFetch, 1, "Fetch")                                \
  X(kListOffsets, 2, "ListOffsets")                    \
  X(kMetadata, 3, "Metadata")                          \
  X(kOffsetCommit, 8, "OffsetCommit")                  \
  X(kOffsetFetch, 9, "OffsetFetch")                    \
  X(kFindCoordinator, 10, "FindCoordinator")           \
  X(kJoinGroup, 11, "JoinGroup")                       \
  X(kHeartbeat, 12, "Heartbeat")                       \
  X(kLeaveGroup, 13, "LeaveGroup")                     \
  X(kSyncGroup, 14, "SyncGroup")                       \
  X(kDescribeGroups, 15, "DescribeGroups")             \
  X(kListGroups, 16, "ListGroups")                     \
  X(kSaslHandshake, 17, "SaslHandshake")               \
  X(kApiVersions, 18, "ApiVersions")                   \
  X(kCreateTopics, 19, "CreateTopics")                 \
  X(kDeleteTopics, 20, "DeleteTopics")                 \
  X(kDeleteRecords, 21, "DeleteRecords")               \
  X(kInitProducerId, 22, "InitProducerId")             \
  X(kOffsetForLeaderEpoch, 23, "OffsetForLeaderEpoch") \
  X(kAddPartitionsToTxn, 24, "AddPartitionsToTxn")     \
  X(kAddOffsetsToTxn, 25, "AddOffsetsToTxn")           \
  X(kEndTxn, 26, "EndTxn")                             \
  X(kTxnOffsetCommit, 28, "TxnOffsetCommit")           \
  X(kDescribeConfigs, 32, "DescribeConfigs")           \
  X(kAlterConfigs, 33, "AlterConfigs")                 \
  X(kSaslAuthenticate, 36, "SaslAuthenticate")         \
  X(kCreatePartitions, 37, "CreatePartitions")         \
  X(kDeleteGroups, 42, "DeleteGroups")                 \
  X(kOffsetDelete, 47, "OffsetDelete")

// Any int16 may arrive on the wire, so an ApiKey may hold a value that is not listed here.
enum class ApiKey : int16_t {
#define TARN_KAFKA_API_KEY_ENUM(constant, key, name) constant = key,
  TARN_KAFKA_API_KEYS(TARN_KAFKA_API_KEY_ENUM)
#undef TARN_KAFKA_API_KEY_ENUM
};

struct ApiSupport {
  static constexpr int16_t kNeverFlexible = INT16_MAX;

  ApiKey key;
  int16_t min_version;
  int16_t max_version;
  int16_t first_flexible_version;  // from Kafka's schema; may lie above max_version
};

// Every API this codec implements, in key order.
std::span<const ApiSupport> SupportedApis();

// The row for `key`, or null when the codec does not implement it.
const ApiSupport* FindApi(ApiKey key);

// Whether `version` of `key` is within the codec's range.
bool IsSupported(ApiKey key, int16_t version);

// Whether `version` of `key` uses the flexible encoding (and request header v2). Follows the
// schema even above our max, so an ApiVersions v4 request still parses its header; false for
// keys the codec does not implement.
bool IsFlexible(ApiKey key, int16_t version);

// Kafka's name ("Produce"), or "Unknown" for a key not in the list above.
std::string_view ApiName(ApiKey key);

// "Produce v7" ("Unknown(57) v0" for an unlisted key), for errors and logs.
std::string ApiVersionName(ApiKey key, int16_t version);

}  // namespace tarn::kafka
