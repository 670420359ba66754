#include "app/topic_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>

#include "app/command_line.h"
#include "app/commands.h"
#include "app/kafka_client.h"

namespace tarn::app {
namespace {

using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, hub::RdKafkaDeleter<rd_kafka_NewTopic_destroy>>;
using DeleteTopicPtr =
    std::unique_ptr<rd_kafka_DeleteTopic_t, hub::RdKafkaDeleter<rd_kafka_DeleteTopic_destroy>>;
using ConfigResourcePtr =
    std::unique_ptr<rd_kafka_ConfigResource_t, hub::RdKafkaDeleter<rd_kafka_ConfigResource_destroy>>;

// Admin requests go through a producer handle: it needs no group and the admin API accepts it.
Result<hub::KafkaClient> ConnectAdmin(const ClientOptions& options) {
  TARN_ASSIGN_OR_RETURN(hub::ConfPtr conf, hub::NewClientConf(options, {}));
  return hub::KafkaClient::Create(RD_KAFKA_PRODUCER, std::move(conf), options);
}

// The first per-topic error in the result of a CreateTopics or DeleteTopics request, phrased
// for the user.
Status CheckTopicResults(rd_kafka_event_t* event) {
  const bool create = rd_kafka_event_type(event) == RD_KAFKA_EVENT_CREATETOPICS_RESULT;
  const std::string verb = create ? "create" : "delete";
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      create
          ? rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
          : rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count);
  for (size_t i = 0; i < count; ++i) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    const std::string topic = Quote(rd_kafka_topic_result_name(results[i]));
    if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      return Status::AlreadyExists("topic " + topic + " already exists");
    }
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      return Status::NotFound("unknown topic " + topic);
    }
    const char* detail = rd_kafka_topic_result_error_string(results[i]);
    return hub::KafkaStatus(err, "cannot " + verb + " topic " + topic, detail != nullptr ? detail : "");
  }
  return Status::Ok();
}

struct CreateArgs {
  ClientOptions client;
  std::string name;
  int32_t partitions = -1;          // -1: the broker's default
  int32_t replication_factor = -1;  // -1: the broker's default
  std::vector<std::string> configs;
};

Status CreateTopic(const CreateArgs& args) {
  TARN_ASSIGN_OR_RETURN(hub::KafkaClient client, ConnectAdmin(args.client));
  char errstr[512];
  NewTopicPtr topic(rd_kafka_NewTopic_new(args.name.c_str(), args.partitions,
                                          args.replication_factor, errstr, sizeof(errstr)));
  if (topic == nullptr) return Status::InvalidArgument(errstr);
  for (const std::string& config : args.configs) {
    TARN_ASSIGN_OR_RETURN(auto entry, ParseKeyValue(config));
    rd_kafka_resp_err_t err =
        rd_kafka_NewTopic_set_config(topic.get(), entry.first.c_str(), entry.second.c_str());
    TARN_TRY(hub::KafkaStatus(err, "--config " + config));
  }
  TARN_ASSIGN_OR_RETURN(
      hub::EventPtr event,
      client.RunAdmin(RD_KAFKA_ADMIN_OP_CREATETOPICS,
                      [&](const rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                        rd_kafka_NewTopic_t* topics[] = {topic.get()};
                        rd_kafka_CreateTopics(client.get(), topics, 1, options, queue);
                      }));
  return CheckTopicResults(event.get());
}

Status DeleteTopic(const ClientOptions& options, const std::string& name) {
  TARN_ASSIGN_OR_RETURN(hub::KafkaClient client, ConnectAdmin(options));
  DeleteTopicPtr topic(rd_kafka_DeleteTopic_new(name.c_str()));
  TARN_ASSIGN_OR_RETURN(
      hub::EventPtr event,
      client.RunAdmin(RD_KAFKA_ADMIN_OP_DELETETOPICS,
                      [&](const rd_kafka_AdminOptions_t* admin_options, rd_kafka_queue_t* queue) {
                        rd_kafka_DeleteTopic_t* topics[] = {topic.get()};
                        rd_kafka_DeleteTopics(client.get(), topics, 1, admin_options, queue);
                      }));
  return CheckTopicResults(event.get());
}

struct ListArgs {
  ClientOptions client;
  bool internal = false;
};

// Internal topics (names starting with '_', which Metadata reports as internal, such as
// __consumer_offsets) are left out unless asked for.
Status ListTopics(const ListArgs& args) {
  TARN_ASSIGN_OR_RETURN(hub::KafkaClient client, ConnectAdmin(args.client));
  TARN_ASSIGN_OR_RETURN(hub::MetadataPtr metadata, client.FetchMetadata());
  std::vector<std::string> names;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    std::string name = metadata->topics[i].topic;
    if (args.internal || !name.starts_with('_')) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) std::cout << name << "\n";
  return Status::Ok();
}

std::string ConfigSourceLabel(const rd_kafka_ConfigEntry_t* entry) {
  switch (rd_kafka_ConfigEntry_source(entry)) {
    case RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG:
      return "topic";
    case RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG:
    case RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG:
    case RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG:
      return "broker";
    case RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG:
      return "default";
    default:  // a broker that does not say (DescribeConfigs v0)
      return rd_kafka_ConfigEntry_is_default(entry) ? "default" : "topic";
  }
}

Result<std::vector<TopicConfigEntry>> DescribeTopicConfigs(const hub::KafkaClient& client,
                                                           const std::string& name) {
  ConfigResourcePtr resource(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str()));
  TARN_ASSIGN_OR_RETURN(
      hub::EventPtr event,
      client.RunAdmin(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
                      [&](const rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                        rd_kafka_ConfigResource_t* resources[] = {resource.get()};
                        rd_kafka_DescribeConfigs(client.get(), resources, 1, options, queue);
                      }));
  size_t resource_count = 0;
  const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event.get()), &resource_count);
  std::vector<TopicConfigEntry> configs;
  for (size_t r = 0; r < resource_count; ++r) {
    rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(resources[r]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* detail = rd_kafka_ConfigResource_error_string(resources[r]);
      return Error(hub::KafkaStatus(err, "cannot describe the configs of topic " + Quote(name),
                               detail != nullptr ? detail : ""));
    }
    size_t entry_count = 0;
    const rd_kafka_ConfigEntry_t** entries =
        rd_kafka_ConfigResource_configs(resources[r], &entry_count);
    for (size_t i = 0; i < entry_count; ++i) {
      TopicConfigEntry config;
      config.name = rd_kafka_ConfigEntry_name(entries[i]);
      if (const char* value = rd_kafka_ConfigEntry_value(entries[i]); value != nullptr) {
        config.value = value;
      }
      config.source = ConfigSourceLabel(entries[i]);
      configs.push_back(std::move(config));
    }
  }
  std::sort(configs.begin(), configs.end(),
            [](const TopicConfigEntry& a, const TopicConfigEntry& b) { return a.name < b.name; });
  return configs;
}

Status DescribeTopic(const ClientOptions& options, const std::string& name) {
  TARN_ASSIGN_OR_RETURN(hub::KafkaClient client, ConnectAdmin(options));
  TARN_ASSIGN_OR_RETURN(hub::MetadataPtr metadata, client.FetchMetadata());
  TARN_ASSIGN_OR_RETURN(const rd_kafka_metadata_topic_t* found, hub::FindTopic(*metadata, name));

  TopicDescription topic;
  topic.name = name;
  const int timeout_ms = static_cast<int>(client.timeout().count());
  for (int p = 0; p < found->partition_cnt; ++p) {
    TopicPartitionInfo partition;
    partition.id = found->partitions[p].id;
    partition.leader = found->partitions[p].leader;
    rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(client.get(), name.c_str(), partition.id,
                                         &partition.earliest, &partition.latest, timeout_ms);
    TARN_TRY(client.Explain(hub::KafkaStatus(
        err, "cannot get the offsets of " + name + "/" + std::to_string(partition.id))));
    topic.partitions.push_back(partition);
  }
  std::sort(topic.partitions.begin(), topic.partitions.end(),
            [](const TopicPartitionInfo& a, const TopicPartitionInfo& b) { return a.id < b.id; });
  TARN_ASSIGN_OR_RETURN(topic.configs, DescribeTopicConfigs(client, name));
  std::cout << FormatTopicDescription(topic);
  return Status::Ok();
}

}  // namespace

std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  auto measure = [&widths](const std::vector<std::string>& row) {
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  std::string out;
  auto append = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line.append(widths[c] - row[c].size() + 2, ' ');
    }
    out += line;
    out += '\n';
  };
  append(header);
  for (const auto& row : rows) append(row);
  return out;
}

std::string FormatTopicDescription(const TopicDescription& topic) {
  std::string out = "Topic: " + topic.name + "\n";
  out += "Partitions: " + std::to_string(topic.partitions.size()) + "\n\n";
  std::vector<std::vector<std::string>> partition_rows;
  for (const TopicPartitionInfo& p : topic.partitions) {
    partition_rows.push_back({std::to_string(p.id),
                              p.leader < 0 ? "none" : std::to_string(p.leader),
                              std::to_string(p.earliest), std::to_string(p.latest)});
  }
  out += FormatTable({"PARTITION", "LEADER", "EARLIEST", "LATEST"}, partition_rows);
  if (topic.configs.empty()) return out;
  std::vector<std::vector<std::string>> config_rows;
  for (const TopicConfigEntry& c : topic.configs) {
    config_rows.push_back({c.name, c.value.value_or("-"), c.source});
  }
  out += "\n";
  out += FormatTable({"CONFIG", "VALUE", "SOURCE"}, config_rows);
  return out;
}

void AddTopicCommands(CLI::App& root, int& exit_code) {
  CLI::App* topic = root.add_subcommand("topic", "Create, list, describe and delete topics");
  topic->require_subcommand(1);

  auto create_args = std::make_shared<CreateArgs>();
  CLI::App* create = topic->add_subcommand("create", "Create a topic");
  create->add_option("NAME", create_args->name, "Topic name")->required();
  create
      ->add_option("--partitions", create_args->partitions,
                   "Number of partitions (default: the broker's default-partitions)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  create
      ->add_option("--replication-factor", create_args->replication_factor,
                   "Copies of each partition (default: the broker's; Tarn keeps one)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  create
      ->add_option("--config", create_args->configs,
                   "Topic config, e.g. retention.ms=86400000 (repeatable)")
      ->type_name("KEY=VALUE")
      ->check(CheckKeyValue);
  AddClientFlags(*create, create_args->client);
  create->callback([create, create_args, &exit_code] {
    exit_code = ReportStatus(*create, CreateTopic(*create_args));
  });

  auto list_args = std::make_shared<ListArgs>();
  CLI::App* list = topic->add_subcommand("list", "List topic names, one per line");
  list->add_flag("--internal", list_args->internal,
                 "Include internal topics (names starting with '_', e.g. __consumer_offsets)");
  AddClientFlags(*list, list_args->client);
  list->callback([list, list_args, &exit_code] {
    exit_code = ReportStatus(*list, ListTopics(*list_args));
  });

  struct NamedArgs {
    ClientOptions client;
    std::string name;
  };
  auto describe_args = std::make_shared<NamedArgs>();
  CLI::App* describe = topic->add_subcommand(
      "describe",
      "Show a topic's partitions with their earliest and latest offsets, and its configs");
  describe->add_option("NAME", describe_args->name, "Topic name")->required();
  AddClientFlags(*describe, describe_args->client);
  describe->callback([describe, describe_args, &exit_code] {
    exit_code = ReportStatus(*describe, DescribeTopic(describe_args->client, describe_args->name));
  });

  auto delete_args = std::make_shared<NamedArgs>();
  CLI::App* remove = topic->add_subcommand("delete", "Delete a topic and all its records");
  remove->add_option("NAME", delete_args->name, "Topic name")->required();
  AddClientFlags(*remove, delete_args->client);
  remove->callback([remove, delete_args, &exit_code] {
    exit_code = ReportStatus(*remove, DeleteTopic(delete_args->client, delete_args->name));
  });
}

}  // namespace tarn::app
