"""confluent-kafka 1.7.0 (Python over librdkafka 2.0.2) against a real `tarn serve`: idempotent
produce, read back by assign() (no group is joined or committed to), offsets_for_times,
watermarks, AdminClient create/delete/describe, MESSAGE_TOO_LARGE and topic auto-creation.

Run: /usr/bin/python3 tests/compat/test_confluent_kafka.py --tarn build/release/src/app/tarn
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import ServerTestCase, now_ms, wait_until  # noqa: E402

from confluent_kafka import (OFFSET_BEGINNING, TIMESTAMP_CREATE_TIME, Consumer,  # noqa: E402
                             KafkaError, KafkaException, Producer, TopicPartition)
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # noqa: E402

DEADLINE_S = 30


def client_conf(bootstrap, **extra):
    conf = {"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000,
            "error_cb": _log_error}
    conf.update({k.replace("_", "."): v for k, v in extra.items()})
    return conf


def _log_error(err):
    print(f"librdkafka error: {err}", file=sys.stderr)


def produce_all(producer, topic, records):
    """Produces (partition, key, value, headers, timestamp) tuples; returns delivery reports as
    (index, partition, offset, error) in the order they arrived."""
    reports = []

    def on_delivery(index):
        return lambda err, msg: reports.append(
            (index, msg.partition(), msg.offset(), err))

    for i, (partition, key, value, headers, ts) in enumerate(records):
        while True:
            try:
                kwargs = {"timestamp": ts} if ts is not None else {}
                if headers is not None:
                    kwargs["headers"] = headers
                producer.produce(topic, value=value, key=key, partition=partition,
                                 on_delivery=on_delivery(i), **kwargs)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(DEADLINE_S)
    if remaining:
        raise AssertionError(f"{remaining} records still undelivered after {DEADLINE_S}s")
    return reports


def consumer(bootstrap, **extra):
    """A consumer for assign(): librdkafka wants a group.id, but nothing joins or commits."""
    conf = dict(group_id=f"compat-{os.getpid()}", enable_auto_commit=False,
                enable_auto_offset_store=False, auto_offset_reset="error")
    conf.update(extra)
    return Consumer(client_conf(bootstrap, **conf))


def read_all(bootstrap, topic, partitions, **consumer_conf):
    """Reads every partition from its beginning to the high watermark it had when called, by
    assign(). Returns {partition: [message, ...]}."""
    c = consumer(bootstrap, **consumer_conf)
    try:
        high = {}
        for p in partitions:
            low, high[p] = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            assert low == 0, f"low watermark of {topic}/{p} is {low}"
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        got = {p: [] for p in partitions}
        next_offset = {p: 0 for p in partitions}
        deadline = time.monotonic() + DEADLINE_S
        while any(next_offset[p] < high[p] for p in partitions):
            if time.monotonic() > deadline:
                raise AssertionError(f"read {next_offset} of {high} within {DEADLINE_S}s")
            msg = c.poll(0.2)
            if msg is None:
                continue
            if msg.error():
                raise KafkaException(msg.error())
            got[msg.partition()].append(msg)
            next_offset[msg.partition()] = msg.offset() + 1
        return got
    finally:
        c.close()


def _first_record(msg):
    return msg if msg is not None and msg.error() is None else None


class ConfluentKafkaTest(ServerTestCase):

    def admin(self):
        """One AdminClient per test: it must outlive the futures it returns."""
        if getattr(self, "_admin", None) is None:
            self._admin = AdminClient(client_conf(self.bootstrap))
            self.addCleanup(setattr, self, "_admin", None)
        return self._admin

    def create_topics(self, *new_topics):
        futures = self.admin().create_topics(list(new_topics), operation_timeout=10,
                                             request_timeout=15)
        for f in futures.values():
            f.result(timeout=DEADLINE_S)

    def topic_metadata(self, topic):
        md = self.admin().list_topics(timeout=10)
        return md.topics.get(topic)

    def test_idempotent_produce_and_read_back_by_assign(self):
        topic = self.unique_topic("ck-data")
        self.create_topics(NewTopic(topic, 3, 1))
        base_ts = now_ms() - 60_000
        records = []
        for i in range(900):
            key = None if i % 50 == 7 else f"key-{i}".encode()
            value = None if i % 90 == 11 else f"value-{i}-".encode() + bytes(range(i % 256))
            headers = [("index", str(i).encode()), ("binary", bytes([0, 255, i % 256]))]
            if i % 4 == 0:
                headers.append(("empty", b""))
            records.append((i % 3, key, value, headers, base_ts + i))

        producer = Producer(client_conf(self.bootstrap, enable_idempotence=True, acks="all",
                                        linger_ms=5, message_timeout_ms=25000))
        reports = produce_all(producer, topic, records)
        self.assertEqual(len(reports), len(records))
        next_offset = [0, 0, 0]
        acked = {}
        for index, partition, offset, err in reports:
            self.assertIsNone(err, f"record {index}")
            self.assertEqual(partition, records[index][0])
            self.assertEqual(offset, next_offset[partition], f"record {index}: offsets per "
                             "partition are dense and follow produce order")
            next_offset[partition] += 1
            acked[index] = offset

        got = read_all(self.bootstrap, topic, [0, 1, 2])
        for p in range(3):
            expected = [i for i in range(len(records)) if records[i][0] == p]
            self.assertEqual(len(got[p]), len(expected), f"partition {p}")
            for msg, i in zip(got[p], expected):
                _, key, value, headers, ts = records[i]
                self.assertEqual(msg.topic(), topic)
                self.assertEqual(msg.offset(), acked[i])
                self.assertEqual(msg.key(), key, f"record {i}")
                self.assertEqual(msg.value(), value, f"record {i}")
                self.assertEqual(msg.headers(), headers, f"record {i}")
                self.assertEqual(msg.timestamp(), (TIMESTAMP_CREATE_TIME, ts), f"record {i}")

    def test_offsets_for_times_and_watermarks(self):
        topic = self.unique_topic("ck-times")
        self.create_topics(NewTopic(topic, 2, 1))
        base_ts = now_ms() - 10_000
        # Partition 0: timestamps base, base+100, ..., partition 1 left empty.
        records = [(0, b"k", f"v{i}".encode(), None, base_ts + 100 * i) for i in range(10)]
        producer = Producer(client_conf(self.bootstrap, acks="all"))
        reports = produce_all(producer, topic, records)
        self.assertTrue(all(err is None for _, _, _, err in reports))

        consumer = Consumer(client_conf(self.bootstrap, group_id=f"compat-{os.getpid()}",
                                        enable_auto_commit=False))
        try:
            cases = [(base_ts - 1, 0), (base_ts, 0), (base_ts + 1, 1), (base_ts + 450, 5),
                     (base_ts + 900, 9), (base_ts + 901, -1)]
            for ts, want in cases:
                with self.subTest(ts=ts - base_ts):
                    [tp] = consumer.offsets_for_times([TopicPartition(topic, 0, ts)], timeout=10)
                    self.assertIsNone(tp.error)
                    self.assertEqual(tp.offset, want)
            [tp] = consumer.offsets_for_times([TopicPartition(topic, 1, base_ts)], timeout=10)
            self.assertEqual(tp.offset, -1, "an empty partition has no offset for any time")
            self.assertEqual(consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10),
                             (0, 10))
            self.assertEqual(consumer.get_watermark_offsets(TopicPartition(topic, 1), timeout=10),
                             (0, 0))
        finally:
            consumer.close()

    def test_admin_create_list_delete_topics(self):
        a, b = self.unique_topic("ck-admin-a"), self.unique_topic("ck-admin-b")
        self.create_topics(NewTopic(a, 4, 1), NewTopic(b, 1, 1))
        for name, count in ((a, 4), (b, 1)):
            t = self.topic_metadata(name)
            self.assertIsNotNone(t, name)
            self.assertIsNone(t.error)
            self.assertEqual(sorted(t.partitions), list(range(count)))

        def create_error(new_topic):
            f = self.admin().create_topics([new_topic], operation_timeout=10)[new_topic.topic]
            with self.assertRaises(KafkaException) as ctx:
                f.result(timeout=DEADLINE_S)
            return ctx.exception.args[0].code()

        self.assertEqual(create_error(NewTopic(a, 1, 1)), KafkaError.TOPIC_ALREADY_EXISTS)
        self.assertEqual(create_error(NewTopic(self.unique_topic("ck-rf"), 1, 3)),
                         KafkaError.INVALID_REPLICATION_FACTOR)
        self.assertEqual(create_error(NewTopic("bad/name", 1, 1)), KafkaError.TOPIC_EXCEPTION)

        futures = self.admin().delete_topics([a], operation_timeout=10)
        futures[a].result(timeout=DEADLINE_S)
        wait_until(lambda: self.topic_metadata(a) is None, 10, f"{a} to leave the metadata")
        self.assertIsNotNone(self.topic_metadata(b))

        f = self.admin().delete_topics([a], operation_timeout=10)[a]
        with self.assertRaises(KafkaException) as ctx:
            f.result(timeout=DEADLINE_S)
        self.assertEqual(ctx.exception.args[0].code(), KafkaError.UNKNOWN_TOPIC_OR_PART)

    def test_topic_config_is_created_and_described(self):
        topic = self.unique_topic("ck-config")
        self.create_topics(NewTopic(topic, 1, 1, config={"max.message.bytes": "20000",
                                                         "retention.ms": "3600000"}))
        resource = ConfigResource("topic", topic)
        configs = self.admin().describe_configs([resource])[resource].result(timeout=DEADLINE_S)
        self.assertEqual(configs["max.message.bytes"].value, "20000")
        self.assertEqual(configs["retention.ms"].value, "3600000")

    def test_record_over_max_message_bytes_is_refused(self):
        # Per-topic limit: 10000 bytes; the client's own limit (1 MB) lets the record through.
        topic = self.unique_topic("ck-too-large")
        self.create_topics(NewTopic(topic, 1, 1, config={"max.message.bytes": "10000"}))
        self.assert_too_large(topic, os.urandom(50_000))

        # The server's default limit (1048588 bytes), with a client that allows bigger ones.
        topic = self.unique_topic("ck-too-large-default")
        self.create_topics(NewTopic(topic, 1, 1))
        self.assert_too_large(topic, os.urandom(2 * 1024 * 1024))

    def assert_too_large(self, topic, value):
        producer = Producer(client_conf(self.bootstrap, acks="all", message_max_bytes=10_000_000,
                                        message_timeout_ms=20000))
        reports = produce_all(producer, topic, [(0, b"big", value, None, None)])
        [(_, _, _, err)] = reports
        self.assertIsNotNone(err, "a record over max.message.bytes was accepted")
        self.assertEqual(err.code(), KafkaError.MSG_SIZE_TOO_LARGE, str(err))
        # Nothing was written, and the partition still takes records that fit.
        reports = produce_all(producer, topic, [(0, b"small", b"fits", None, None)])
        self.assertEqual([(r[2], r[3]) for r in reports], [(0, None)])
        got = read_all(self.bootstrap, topic, [0])
        self.assertEqual([(m.offset(), m.value()) for m in got[0]], [(0, b"fits")])

    def test_concurrent_producers_get_dense_distinct_offsets(self):
        topic = self.unique_topic("ck-concurrent")
        self.create_topics(NewTopic(topic, 1, 1))
        results = {}

        def run_producer(n):
            producer = Producer(client_conf(self.bootstrap, enable_idempotence=n % 2 == 0,
                                            acks="all", linger_ms=1))
            results[n] = produce_all(producer, topic, [(0, f"p{n}".encode(), f"{n}:{i}".encode(),
                                                        None, None) for i in range(500)])

        threads = [threading.Thread(target=run_producer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(DEADLINE_S + 10)
        self.assertEqual(sorted(results), [0, 1, 2, 3], "a producer thread did not finish")
        offsets = {}
        for n, reports in results.items():
            self.assertTrue(all(err is None for _, _, _, err in reports))
            own = [offset for _, _, offset, _ in sorted(reports)]
            self.assertEqual(own, sorted(own), f"producer {n}'s records are in order")
            offsets.update({offset: f"{n}:{i}".encode() for i, _, offset, _ in reports})
        self.assertEqual(sorted(offsets), list(range(2000)))
        got = read_all(self.bootstrap, topic, [0])
        self.assertEqual({m.offset(): m.value() for m in got[0]}, offsets)

    def test_fetch_returns_a_whole_batch_larger_than_max_bytes(self):
        topic = self.unique_topic("ck-big")
        self.create_topics(NewTopic(topic, 1, 1))
        values = [os.urandom(300_000) for _ in range(3)] + [os.urandom(900_000)]
        producer = Producer(client_conf(self.bootstrap, acks="all", linger_ms=0))
        reports = produce_all(producer, topic, [(0, None, v, None, None) for v in values])
        self.assertTrue(all(err is None for _, _, _, err in reports))
        # Limits far below one record: the broker still sends the first batch whole (KIP-74).
        got = read_all(self.bootstrap, topic, [0], message_max_bytes=1000, fetch_max_bytes=1024,
                       max_partition_fetch_bytes=1024, receive_message_max_bytes=4_000_000)
        self.assertEqual([m.value() for m in got[0]], values)

    def test_waiting_fetch_wakes_up_on_append(self):
        topic = self.unique_topic("ck-wake")
        self.create_topics(NewTopic(topic, 1, 1))
        c = consumer(self.bootstrap, fetch_wait_max_ms=10_000, socket_timeout_ms=20_000,
                     enable_partition_eof=True)
        try:
            c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])

            def at_end():  # the consumer has fetched once and is now waiting at offset 0
                msg = c.poll(0.1)
                return msg is not None and msg.error() is not None and \
                    msg.error().code() == KafkaError._PARTITION_EOF
            wait_until(at_end, DEADLINE_S, "the end of the empty partition")
            producer = Producer(client_conf(self.bootstrap, acks="all", linger_ms=0))
            start = time.monotonic()
            produce_all(producer, topic, [(0, None, b"wake up", None, None)])
            msg = wait_until(lambda: _first_record(c.poll(0.05)), DEADLINE_S, "the record")
            latency = time.monotonic() - start
            self.assertEqual(msg.value(), b"wake up")
            # A fetch parked for up to 10 s must be answered when the record arrives.
            self.assertLess(latency, 5.0, "the waiting fetch was not woken by the append")
        finally:
            c.close()

    def test_fetch_beyond_the_end_is_out_of_range(self):
        topic = self.unique_topic("ck-range")
        self.create_topics(NewTopic(topic, 1, 1))
        producer = Producer(client_conf(self.bootstrap, acks="all"))
        produce_all(producer, topic, [(0, None, b"only", None, None)])
        c = consumer(self.bootstrap)
        try:
            c.assign([TopicPartition(topic, 0, 5)])
            msg = wait_until(lambda: c.poll(0.1), DEADLINE_S, "an error for offset 5")
            self.assertIsNotNone(msg.error(), "a record beyond the high watermark")
            self.assertIn("Offset out of range", str(msg.error()))
        finally:
            c.close()

    def test_consumer_metadata_does_not_create_topics(self):
        # librdkafka consumers send Metadata v4 with allow_auto_topic_creation=false.
        topic = self.unique_topic("ck-no-auto")
        c = consumer(self.bootstrap, allow_auto_create_topics=False)
        try:
            md = c.list_topics(topic, timeout=10)
            self.assertEqual(md.topics[topic].error.code(), KafkaError.UNKNOWN_TOPIC_OR_PART)
        finally:
            c.close()
        self.assertIsNone(self.topic_metadata(topic))

    def test_recreated_topic_starts_empty(self):
        topic = self.unique_topic("ck-recreate")
        self.create_topics(NewTopic(topic, 2, 1))
        producer = Producer(client_conf(self.bootstrap, acks="all"))
        produce_all(producer, topic, [(i % 2, None, b"old", None, None) for i in range(10)])
        self.admin().delete_topics([topic], operation_timeout=10)[topic].result(timeout=20)
        wait_until(lambda: self.topic_metadata(topic) is None, 10, f"{topic} to be deleted")
        self.create_topics(NewTopic(topic, 1, 1))
        self.assertEqual(sorted(self.topic_metadata(topic).partitions), [0])
        producer = Producer(client_conf(self.bootstrap, acks="all"))
        reports = produce_all(producer, topic, [(0, None, b"new", None, None)])
        self.assertEqual([(r[1], r[2]) for r in reports], [(0, 0)])
        got = read_all(self.bootstrap, topic, [0])
        self.assertEqual([m.value() for m in got[0]], [b"new"])

    def test_producing_to_an_unknown_topic_creates_it(self):
        topic = self.unique_topic("ck-auto")
        self.assertIsNone(self.topic_metadata(topic))
        producer = Producer(client_conf(self.bootstrap, acks="all", message_timeout_ms=20000))
        reports = produce_all(producer, topic, [(-1, b"k", b"first", None, None)])
        self.assertEqual([(r[1], r[2], r[3]) for r in reports], [(0, 0, None)])
        t = wait_until(lambda: self.topic_metadata(topic), 10, f"{topic} in the metadata")
        self.assertEqual(sorted(t.partitions), [0])
        got = read_all(self.bootstrap, topic, [0])
        self.assertEqual([m.value() for m in got[0]], [b"first"])


if __name__ == "__main__":
    tarn_server.main()
