// librdkafka_compat: checks a running Tarn broker with librdkafka's C++ API, the client that
// Tarn's own services use. It creates a 3-partition topic through the Admin API, sends records
// with an idempotent acks=all producer, checks every delivery report, reads everything back by
// assign() from the beginning of each partition and checks keys, values, headers, timestamps and
// offsets, then checks offsetsForTimes. With --cooperative-group it reads the records instead
// with two members of one consumer group using the cooperative-sticky assignor. Run by
// test_librdkafka.py, which starts the server.
//
//   librdkafka_compat --bootstrap 127.0.0.1:PORT [--records N] [--debug CONTEXTS]
//                     [--cooperative-group]
//
// Exit status 0 when every check holds; otherwise the failures are printed and it exits 1.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr int32_t kPartitions = 3;
constexpr auto kDeadline = std::chrono::seconds(30);

int failures = 0;

void Fail(const std::string& what) {
  std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  if (++failures > 50) {
    std::fprintf(stderr, "too many failures, giving up\n");
    std::exit(1);
  }
}

#define EXPECT_EQ(actual, expected, what)                                                  \
  do {                                                                                     \
    const auto& a_ = (actual);                                                             \
    const auto& e_ = (expected);                                                           \
    if (!(a_ == e_)) Fail(std::string(what) + ": got " + Show(a_) + ", want " + Show(e_)); \
  } while (0)

std::string Show(const std::string& s) { return "\"" + s + "\""; }
std::string Show(const std::optional<std::string>& s) { return s ? Show(*s) : "null"; }
template <typename T>
std::string Show(const T& v) {
  return std::to_string(v);
}

// One record the test sends: index i goes to partition i % kPartitions.
struct Expected {
  int32_t partition;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  int64_t timestamp_ms;
};

Expected MakeRecord(int i, int64_t base_timestamp_ms) {
  Expected r;
  r.partition = i % kPartitions;
  if (i % 100 != 99) r.key = "key-" + std::to_string(i);
  if (i % 250 != 249) r.value = "value-" + std::to_string(i) + "-" + std::string(i % 37, 'x');
  r.headers.emplace_back("index", std::to_string(i));
  r.headers.emplace_back("client", "librdkafka");
  if (i % 10 == 0) r.headers.emplace_back("null-header", std::nullopt);
  if (i % 3 == 0) r.headers.emplace_back("index", "again");  // repeated names keep their order
  // Timestamps grow by 10 ms per record, so offsetsForTimes has exact answers.
  r.timestamp_ms = base_timestamp_ms + int64_t{10} * i;
  return r;
}

std::optional<std::string> Bytes(const void* data, size_t size) {
  if (data == nullptr) return std::nullopt;
  return std::string(static_cast<const char*>(data), size);
}

struct Delivery {
  int index;
  int32_t partition;
  int64_t offset;
  RdKafka::ErrorCode err;
  std::string errstr;
};

class DeliveryRecorder : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    deliveries.push_back({static_cast<int>(reinterpret_cast<intptr_t>(message.msg_opaque())),
                          message.partition(), message.offset(), message.err(), message.errstr()});
  }
  std::vector<Delivery> deliveries;
};

class ErrorLogger : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    if (event.type() == RdKafka::Event::EVENT_ERROR) {
      std::fprintf(stderr, "librdkafka error: %s: %s%s\n", RdKafka::err2str(event.err()).c_str(),
                   event.str().c_str(), event.fatal() ? " (FATAL)" : "");
      if (event.fatal()) fatal = true;
    } else if (event.type() == RdKafka::Event::EVENT_LOG) {
      std::fprintf(stderr, "librdkafka log %d %s: %s\n", event.severity(), event.fac().c_str(),
                   event.str().c_str());
    }
  }
  bool fatal = false;
};

std::unique_ptr<RdKafka::Conf> MakeConf(const std::string& bootstrap, const std::string& debug,
                                        RdKafka::EventCb* events) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string errstr;
  auto set = [&](const std::string& name, const std::string& value) {
    if (conf->set(name, value, errstr) != RdKafka::Conf::CONF_OK) {
      std::fprintf(stderr, "config %s=%s: %s\n", name.c_str(), value.c_str(), errstr.c_str());
      std::exit(2);
    }
  };
  set("bootstrap.servers", bootstrap);
  set("socket.timeout.ms", "10000");
  if (!debug.empty()) set("debug", debug);
  if (conf->set("event_cb", events, errstr) != RdKafka::Conf::CONF_OK) std::exit(2);
  return conf;
}

// Creates the topic with the C Admin API (the C++ API has none) on the producer's handle.
bool CreateTopic(RdKafka::Handle& handle, const std::string& topic) {
  rd_kafka_t* rk = handle.c_ptr();
  char errstr[512];
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), kPartitions, 1, errstr, sizeof(errstr));
  if (new_topic == nullptr) {
    Fail(std::string("NewTopic: ") + errstr);
    return false;
  }
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, 10000, errstr, sizeof(errstr));
  rd_kafka_AdminOptions_set_request_timeout(options, 15000, errstr, sizeof(errstr));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &new_topic, 1, options, queue);

  bool ok = false;
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 20000);
  if (event == nullptr) {
    Fail("CreateTopics: no result within 20 s");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Fail(std::string("CreateTopics: ") + rd_kafka_event_error_string(event));
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    if (count != 1) {
      Fail("CreateTopics: " + std::to_string(count) + " results, want 1");
    } else if (rd_kafka_topic_result_error(results[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* message = rd_kafka_topic_result_error_string(results[0]);
      Fail(std::string("CreateTopics ") + topic + ": " +
           rd_kafka_err2name(rd_kafka_topic_result_error(results[0])) + ": " +
           (message != nullptr ? message : ""));
    } else {
      ok = true;
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy(new_topic);
  return ok;
}

// Sends every record with an idempotent, acks=all producer; checks the delivery reports.
// Returns the offset each record was acknowledged at (-1 when it was not).
std::vector<int64_t> Produce(const std::string& bootstrap, const std::string& debug,
                             const std::string& topic, const std::vector<Expected>& records) {
  ErrorLogger events;
  DeliveryRecorder recorder;
  auto conf = MakeConf(bootstrap, debug, &events);
  std::string errstr;
  conf->set("enable.idempotence", "true", errstr);
  conf->set("acks", "all", errstr);
  conf->set("linger.ms", "5", errstr);
  conf->set("message.timeout.ms", "25000", errstr);
  conf->set("dr_cb", &recorder, errstr);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), errstr));
  if (!producer) {
    Fail("Producer::create: " + errstr);
    return {};
  }
  if (!CreateTopic(*producer, topic)) return {};

  for (size_t i = 0; i < records.size(); ++i) {
    const Expected& r = records[i];
    RdKafka::Headers* headers = RdKafka::Headers::create();
    for (const auto& [name, value] : r.headers) {
      if (value) {
        headers->add(name, *value);
      } else {
        headers->add(name, nullptr, 0);
      }
    }
    RdKafka::ErrorCode err;
    while (true) {
      err = producer->produce(topic, r.partition, RdKafka::Producer::RK_MSG_COPY,
                              r.value ? const_cast<char*>(r.value->data()) : nullptr,
                              r.value ? r.value->size() : 0, r.key ? r.key->data() : nullptr,
                              r.key ? r.key->size() : 0, r.timestamp_ms, headers,
                              reinterpret_cast<void*>(static_cast<intptr_t>(i)));
      if (err != RdKafka::ERR__QUEUE_FULL) break;
      producer->poll(100);
    }
    if (err != RdKafka::ERR_NO_ERROR) {
      delete headers;  // still ours when produce() fails
      Fail("produce #" + std::to_string(i) + ": " + RdKafka::err2str(err));
      return {};
    }
    producer->poll(0);
  }
  RdKafka::ErrorCode flushed = producer->flush(30000);
  if (flushed != RdKafka::ERR_NO_ERROR) {
    Fail("flush: " + RdKafka::err2str(flushed) + ", " + std::to_string(producer->outq_len()) +
         " still queued");
  }
  if (events.fatal) Fail("the idempotent producer raised a fatal error");

  std::vector<int64_t> offsets(records.size(), -1);
  std::vector<int64_t> next_offset(kPartitions, 0);
  EXPECT_EQ(recorder.deliveries.size(), records.size(), "delivery reports");
  for (const Delivery& d : recorder.deliveries) {
    std::string what = "record #" + std::to_string(d.index);
    if (d.err != RdKafka::ERR_NO_ERROR) {
      Fail(what + " failed: " + RdKafka::err2str(d.err) + ": " + d.errstr);
      continue;
    }
    EXPECT_EQ(d.partition, records[d.index].partition, what + " partition");
    // Reports of one partition arrive in produce order, at dense offsets from 0.
    if (d.partition >= 0 && d.partition < kPartitions) {
      EXPECT_EQ(d.offset, next_offset[d.partition], what + " offset");
      next_offset[d.partition] = d.offset + 1;
    }
    offsets[d.index] = d.offset;
  }
  std::printf("produced %zu records, %zu delivery reports\n", records.size(),
              recorder.deliveries.size());
  return offsets;
}

void CheckMessage(RdKafka::Message& m, const Expected& r, int index, int64_t offset) {
  const std::string what = "record #" + std::to_string(index) + " at " +
                           std::to_string(m.partition()) + "/" + std::to_string(m.offset());
  EXPECT_EQ(m.offset(), offset, what + " offset");
  EXPECT_EQ(Bytes(m.key_pointer(), m.key_len()), r.key, what + " key");
  EXPECT_EQ(Bytes(m.payload(), m.len()), r.value, what + " value");
  RdKafka::MessageTimestamp ts = m.timestamp();
  EXPECT_EQ(static_cast<int>(ts.type),
            static_cast<int>(RdKafka::MessageTimestamp::MSG_TIMESTAMP_CREATE_TIME),
            what + " timestamp type");
  EXPECT_EQ(ts.timestamp, r.timestamp_ms, what + " timestamp");
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  if (RdKafka::Headers* h = m.headers()) {
    for (const RdKafka::Headers::Header& header : h->get_all()) {
      headers.emplace_back(header.key(), Bytes(header.value(), header.value_size()));
    }
  }
  EXPECT_EQ(headers.size(), r.headers.size(), what + " header count");
  for (size_t i = 0; i < headers.size() && i < r.headers.size(); ++i) {
    EXPECT_EQ(headers[i].first, r.headers[i].first, what + " header name");
    EXPECT_EQ(headers[i].second, r.headers[i].second, what + " header " + r.headers[i].first);
  }
}

// Reads every partition from the beginning by assign() (no group protocol: nothing is
// subscribed or committed) and checks each record against what was acknowledged.
void ConsumeAndCheck(const std::string& bootstrap, const std::string& debug,
                     const std::string& topic, const std::vector<Expected>& records,
                     const std::vector<int64_t>& offsets) {
  ErrorLogger events;
  auto conf = MakeConf(bootstrap, debug, &events);
  std::string errstr;
  // librdkafka's KafkaConsumer needs a group.id even for assign(); it is never joined.
  conf->set("group.id", "librdkafka-compat-" + std::to_string(getpid()), errstr);
  conf->set("enable.auto.commit", "false", errstr);
  conf->set("enable.auto.offset.store", "false", errstr);
  conf->set("enable.partition.eof", "true", errstr);
  conf->set("auto.offset.reset", "error", errstr);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), errstr));
  if (!consumer) {
    Fail("KafkaConsumer::create: " + errstr);
    return;
  }

  // Records of each partition in offset order.
  std::vector<std::vector<int>> by_partition(kPartitions);
  for (size_t i = 0; i < records.size(); ++i) by_partition[records[i].partition].push_back(i);

  std::vector<RdKafka::TopicPartition*> assignment;
  for (int32_t p = 0; p < kPartitions; ++p) {
    assignment.push_back(
        RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  RdKafka::ErrorCode err = consumer->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  if (err != RdKafka::ERR_NO_ERROR) {
    Fail("assign: " + RdKafka::err2str(err));
    return;
  }

  std::vector<size_t> next(kPartitions, 0);
  std::vector<bool> at_end(kPartitions, false);
  const auto deadline = Clock::now() + kDeadline;
  size_t received = 0;
  auto done = [&] {
    for (int32_t p = 0; p < kPartitions; ++p) {
      if (!at_end[p] || next[p] != by_partition[p].size()) return false;
    }
    return true;
  };
  while (!done() && Clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    if (m->err() == RdKafka::ERR__TIMED_OUT) continue;
    if (m->err() == RdKafka::ERR__PARTITION_EOF) {
      if (m->partition() >= 0 && m->partition() < kPartitions) at_end[m->partition()] = true;
      continue;
    }
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      Fail("consume: " + m->errstr());
      continue;
    }
    const int32_t p = m->partition();
    if (p < 0 || p >= kPartitions || m->topic_name() != topic) {
      Fail("message from unexpected partition " + m->topic_name() + "/" + std::to_string(p));
      continue;
    }
    at_end[p] = false;
    if (next[p] >= by_partition[p].size()) {
      Fail("extra message at " + std::to_string(p) + "/" + std::to_string(m->offset()));
      continue;
    }
    const int index = by_partition[p][next[p]++];
    CheckMessage(*m, records[index], index, offsets[index]);
    ++received;
  }
  if (!done()) {
    std::string state;
    for (int32_t p = 0; p < kPartitions; ++p) {
      state += " p" + std::to_string(p) + ":" + std::to_string(next[p]) + "/" +
               std::to_string(by_partition[p].size()) + (at_end[p] ? "(eof)" : "");
    }
    Fail("did not read every record to the end of each partition within 30 s:" + state);
  }
  std::printf("consumed %zu records\n", received);
  // Stop fetching: a long-polling Fetch would hold up the queries below, which share its
  // connection and are answered in order.
  consumer->unassign();

  // offsetsForTimes: the first offset whose timestamp is >= the asked one.
  for (int32_t p = 0; p < kPartitions; ++p) {
    const std::vector<int>& indexes = by_partition[p];
    struct Probe {
      int64_t timestamp_ms;
      int64_t want_offset;
    };
    std::vector<Probe> probes;
    probes.push_back({records[indexes.front()].timestamp_ms - 1000, 0});  // before everything
    const size_t k = indexes.size() / 2;
    probes.push_back({records[indexes[k]].timestamp_ms, static_cast<int64_t>(k)});      // exact
    probes.push_back({records[indexes[k]].timestamp_ms - 1, static_cast<int64_t>(k)});  // between
    probes.push_back({records[indexes.back()].timestamp_ms + 1, -1});  // after everything
    for (const Probe& probe : probes) {
      std::vector<RdKafka::TopicPartition*> query = {
          RdKafka::TopicPartition::create(topic, p, probe.timestamp_ms)};
      err = consumer->offsetsForTimes(query, 10000);
      const std::string what =
          "offsetsForTimes(" + std::to_string(p) + ", " + std::to_string(probe.timestamp_ms) + ")";
      if (err != RdKafka::ERR_NO_ERROR) {
        Fail(what + ": " + RdKafka::err2str(err));
      } else {
        EXPECT_EQ(static_cast<int>(query[0]->err()), 0, what + " error");
        EXPECT_EQ(query[0]->offset(), probe.want_offset, what);
      }
      RdKafka::TopicPartition::destroy(query);
    }
  }

  // Watermarks: low 0, high = the number of records in the partition.
  for (int32_t p = 0; p < kPartitions; ++p) {
    int64_t low = -1, high = -1;
    err = consumer->query_watermark_offsets(topic, p, &low, &high, 10000);
    if (err != RdKafka::ERR_NO_ERROR) {
      Fail("query_watermark_offsets: " + RdKafka::err2str(err));
      continue;
    }
    EXPECT_EQ(low, int64_t{0}, "low watermark of partition " + std::to_string(p));
    EXPECT_EQ(high, static_cast<int64_t>(by_partition[p].size()),
              "high watermark of partition " + std::to_string(p));
  }
  consumer->close();
}

// Cooperative-sticky rebalancing (KIP-429): the consumer owning a partition gives up only the
// partitions that move, in a first rebalance, and the new owner gets them in a second one.
class CooperativeRebalance : public RdKafka::RebalanceCb {
 public:
  explicit CooperativeRebalance(std::string name) : name_(std::move(name)) {}

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    // While close() revokes the last partitions the group may already be gone, and librdkafka
    // then names no protocol.
    const std::string protocol = consumer->rebalance_protocol();
    if (protocol != "COOPERATIVE" && !(closing && protocol.empty())) {
      Fail(name_ + ": rebalance protocol is " + protocol);
    }
    RdKafka::Error* error = nullptr;
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      error = consumer->incremental_assign(partitions);
      for (auto* p : partitions) owned.insert(p->partition());
      ever_owned = ever_owned || !owned.empty();
    } else if (err == RdKafka::ERR__REVOKE_PARTITIONS) {
      error = consumer->incremental_unassign(partitions);
      for (auto* p : partitions) owned.erase(p->partition());
      // Revoking everything it owns is what eager rebalancing does, not cooperative.
      if (ever_owned && owned.empty() && !closing) emptied = true;
    } else {
      Fail(name_ + ": rebalance error " + RdKafka::err2str(err));
    }
    if (error != nullptr) {
      Fail(name_ + ": incremental (un)assign: " + error->str());
      delete error;
    }
  }

  std::set<int32_t> owned;
  bool ever_owned = false;
  bool emptied = false;
  bool closing = false;

 private:
  std::string name_;
};

// Two members of one cooperative-sticky group read the topic: the first alone, then the second
// joins and takes partitions over without the first stopping. Every record is read, commits
// follow reading, and the committed offsets end at the end of every partition.
void CooperativeGroup(const std::string& bootstrap, const std::string& debug,
                      const std::string& topic, const std::vector<Expected>& records) {
  ErrorLogger events;
  const std::string group = "librdkafka-cooperative-" + std::to_string(getpid());
  std::vector<std::unique_ptr<CooperativeRebalance>> rebalances;
  std::vector<std::unique_ptr<RdKafka::KafkaConsumer>> consumers;
  auto start = [&](const std::string& name) {
    auto conf = MakeConf(bootstrap, debug, &events);
    std::string errstr;
    conf->set("group.id", group, errstr);
    conf->set("partition.assignment.strategy", "cooperative-sticky", errstr);
    conf->set("enable.auto.commit", "false", errstr);
    conf->set("auto.offset.reset", "earliest", errstr);
    conf->set("session.timeout.ms", "6000", errstr);
    conf->set("heartbeat.interval.ms", "500", errstr);
    rebalances.push_back(std::make_unique<CooperativeRebalance>(name));
    conf->set("rebalance_cb", rebalances.back().get(), errstr);
    std::unique_ptr<RdKafka::KafkaConsumer> consumer(
        RdKafka::KafkaConsumer::create(conf.get(), errstr));
    if (!consumer) {
      Fail("create consumer " + name + ": " + errstr);
      return;
    }
    RdKafka::ErrorCode err = consumer->subscribe({topic});
    if (err != RdKafka::ERR_NO_ERROR) Fail("subscribe " + name + ": " + RdKafka::err2str(err));
    consumers.push_back(std::move(consumer));
  };
  std::set<std::string> read;
  std::vector<int64_t> ends(kPartitions, 0);
  for (const Expected& r : records) ++ends[r.partition];
  // Reads what each consumer has, committing after each batch. True once `done` holds.
  auto poll_until = [&](const auto& done) {
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (!done() && Clock::now() < deadline && failures == 0) {
      for (auto& consumer : consumers) {
        int got = 0;
        for (int i = 0; i < 100; ++i) {
          std::unique_ptr<RdKafka::Message> m(consumer->consume(i == 0 ? 50 : 0));
          if (m->err() == RdKafka::ERR__TIMED_OUT) break;
          if (m->err() != RdKafka::ERR_NO_ERROR) {
            Fail("consume: " + m->errstr());
            break;
          }
          read.insert(std::to_string(m->partition()) + "/" + std::to_string(m->offset()));
          ++got;
        }
        if (got > 0) {
          RdKafka::ErrorCode err = consumer->commitSync();
          // A partition may have moved since: its new owner reads it from the last commit.
          if (err != RdKafka::ERR_NO_ERROR) {
            std::fprintf(stderr, "commit: %s\n", RdKafka::err2str(err).c_str());
          }
        }
      }
    }
    return done();
  };
  start("first");
  if (!poll_until([&] { return rebalances[0]->owned.size() == kPartitions && !read.empty(); })) {
    Fail("the first member did not get all partitions and read within 60 s");
    return;
  }
  start("second");
  auto shared = [&] {
    const auto& a = rebalances[0]->owned;
    const auto& b = rebalances[1]->owned;
    std::set<int32_t> all(a.begin(), a.end());
    all.insert(b.begin(), b.end());
    return !a.empty() && !b.empty() && all.size() == kPartitions &&
           a.size() + b.size() == kPartitions && read.size() == records.size();
  };
  if (!poll_until(shared)) {
    Fail("the two members did not share the partitions and read all " +
         std::to_string(records.size()) + " records within 60 s (read " +
         std::to_string(read.size()) + ", first owns " +
         std::to_string(rebalances[0]->owned.size()) + ", second " +
         std::to_string(rebalances[1]->owned.size()) + ")");
  }
  if (rebalances[0]->emptied) Fail("the first member lost every partition in a rebalance");
  for (auto& consumer : consumers) consumer->commitSync();
  std::vector<RdKafka::TopicPartition*> committed;
  for (int32_t p = 0; p < kPartitions; ++p) {
    committed.push_back(RdKafka::TopicPartition::create(topic, p));
  }
  RdKafka::ErrorCode err = consumers[0]->committed(committed, 10000);
  if (err != RdKafka::ERR_NO_ERROR) Fail("committed: " + RdKafka::err2str(err));
  for (int32_t p = 0; p < kPartitions && err == RdKafka::ERR_NO_ERROR; ++p) {
    EXPECT_EQ(committed[p]->offset(), ends[p], "committed offset of partition " + std::to_string(p));
  }
  RdKafka::TopicPartition::destroy(committed);
  for (size_t i = 0; i < consumers.size(); ++i) {
    rebalances[i]->closing = true;
    consumers[i]->close();
  }
  std::printf("cooperative group read %zu records\n", read.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap;
  std::string debug;
  int count = 3000;
  bool cooperative = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--bootstrap" && i + 1 < argc) {
      bootstrap = argv[++i];
    } else if (arg == "--records" && i + 1 < argc) {
      count = std::atoi(argv[++i]);
    } else if (arg == "--debug" && i + 1 < argc) {
      debug = argv[++i];
    } else if (arg == "--cooperative-group") {
      cooperative = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s --bootstrap HOST:PORT [--records N] [--debug CONTEXTS] "
                   "[--cooperative-group]\n",
                   argv[0]);
      return 2;
    }
  }
  if (bootstrap.empty() || count < 2 * kPartitions) {
    std::fprintf(stderr, "--bootstrap is required; --records must be at least %d\n",
                 2 * kPartitions);
    return 2;
  }
  std::printf("librdkafka %s against %s\n", RdKafka::version_str().c_str(), bootstrap.c_str());

  const std::string topic = "librdkafka-compat-" + std::to_string(getpid());
  const int64_t base_timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count() -
                                    int64_t{3600} * 1000;
  std::vector<Expected> records;
  for (int i = 0; i < count; ++i) records.push_back(MakeRecord(i, base_timestamp_ms));

  std::vector<int64_t> offsets = Produce(bootstrap, debug, topic, records);
  if (failures == 0 && cooperative) {
    CooperativeGroup(bootstrap, debug, topic, records);
  } else if (failures == 0) {
    ConsumeAndCheck(bootstrap, debug, topic, records, offsets);
  }
  RdKafka::wait_destroyed(5000);

  if (failures > 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("all checks passed\n");
  return 0;
}
