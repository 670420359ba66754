"""kafka-python 2.0.2 (pure Python; guesses the broker version, then uses fixed request
versions: Produce v7, Fetch v4, ListOffsets v1, Metadata v1, admin at CreateTopics v3) against a
real `tarn serve`: produce and read back by assign() with group_id=None, every codec (gzip,
xerial-framed snappy, lz4, zstd), offsets_for_times inside compressed batches, KafkaAdminClient
create/delete, MESSAGE_TOO_LARGE and topic auto-creation.

snappy, lz4 and zstd need python3-snappy, python3-lz4 and python3-zstandard.

Run: /usr/bin/python3 tests/compat/test_kafka_python.py --tarn build/release/src/app/tarn
"""

import importlib
import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import ServerTestCase, now_ms, wait_until  # noqa: E402

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka import errors as Errors  # noqa: E402
from kafka.admin import NewTopic  # noqa: E402

DEADLINE_S = 30
# Codec -> the Python module kafka-python compresses it with (gzip is in the standard library).
CODECS = {"gzip": None, "snappy": "snappy", "lz4": "lz4.frame", "zstd": "zstandard"}
DEBIAN_PACKAGES = {"snappy": "python3-snappy", "lz4.frame": "python3-lz4",
                   "zstandard": "python3-zstandard"}


def producer(bootstrap, **extra):
    conf = dict(bootstrap_servers=bootstrap, acks="all", request_timeout_ms=15000,
                max_block_ms=15000, retries=3)
    conf.update(extra)
    return KafkaProducer(**conf)


def consumer(bootstrap):
    return KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                         auto_offset_reset="none", request_timeout_ms=15000,
                         consumer_timeout_ms=1000)


def read_all(bootstrap, topic, partitions):
    """Reads every partition from the beginning to the high watermark it had when called.
    Returns {partition: [ConsumerRecord, ...]}."""
    c = consumer(bootstrap)
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        high = c.end_offsets(tps)
        c.assign(tps)
        for tp in tps:
            c.seek(tp, 0)  # no retention runs in these tests: every log starts at offset 0
        got = {p: [] for p in partitions}
        deadline = time.monotonic() + DEADLINE_S
        while any(c.position(tp) < high[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"read {[c.position(tp) for tp in tps]} of {high} within {DEADLINE_S}s")
            for tp, records in c.poll(timeout_ms=200).items():
                got[tp.partition].extend(records)
        return got
    finally:
        c.close()


class KafkaPythonTest(ServerTestCase):

    def admin(self):
        a = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=15000)
        self.addCleanup(a.close)
        return a

    def topics(self):
        c = consumer(self.bootstrap)
        try:
            return c.topics()
        finally:
            c.close()

    def produce(self, p, topic, records):
        """records: (partition, key, value, headers, timestamp_ms) tuples. Returns
        RecordMetadata per record, in order."""
        futures = [p.send(topic, value=value, key=key, headers=headers or [], partition=part,
                          timestamp_ms=ts)
                   for part, key, value, headers, ts in records]
        p.flush(timeout=DEADLINE_S)
        return [f.get(timeout=DEADLINE_S) for f in futures]

    def check_round_trip(self, topic, partitions, **producer_conf):
        base_ts = now_ms() - 60_000
        records = []
        for i in range(600):
            key = None if i % 40 == 3 else f"key-{i}".encode()
            value = f"value-{i}-".encode() + bytes(range(i % 256))
            headers = [("index", str(i).encode()), ("tag", b"\x00\x01")]
            records.append((i % partitions, key, value, headers, base_ts + i))
        p = producer(self.bootstrap, **producer_conf)
        try:
            metadata = self.produce(p, topic, records)
        finally:
            p.close()
        next_offset = [0] * partitions
        for i, md in enumerate(metadata):
            self.assertEqual(md.partition, records[i][0])
            self.assertEqual(md.offset, next_offset[md.partition], f"record {i}")
            next_offset[md.partition] += 1

        got = read_all(self.bootstrap, topic, list(range(partitions)))
        for part in range(partitions):
            expected = [i for i in range(len(records)) if records[i][0] == part]
            self.assertEqual(len(got[part]), len(expected))
            for r, i in zip(got[part], expected):
                _, key, value, headers, ts = records[i]
                self.assertEqual(r.offset, metadata[i].offset)
                self.assertEqual(r.key, key, f"record {i}")
                self.assertEqual(r.value, value, f"record {i}")
                self.assertEqual(r.headers, headers, f"record {i}")
                self.assertEqual((r.timestamp, r.timestamp_type), (ts, 0), f"record {i}")

        # Exact answers need the timestamps of records inside (compressed) batches.
        c = consumer(self.bootstrap)
        try:
            for i in (0, 1, 2, 301, 302, 599):
                part, ts = records[i][0], records[i][4]
                tp = TopicPartition(topic, part)
                found = c.offsets_for_times({tp: ts})[tp]
                self.assertEqual((found.offset, found.timestamp), (metadata[i].offset, ts),
                                 f"offsets_for_times at record {i}'s timestamp")
                found = c.offsets_for_times({tp: ts - partitions + 1})[tp]
                self.assertEqual(found.offset, metadata[i].offset,
                                 f"offsets_for_times just after record {i - partitions}")
        finally:
            c.close()

    def test_produce_and_read_back_by_assign(self):
        topic = self.unique_topic("kp-data")
        self.admin().create_topics([NewTopic(topic, 3, 1)])
        self.check_round_trip(topic, 3)

    def test_compressed_round_trips(self):
        # kafka-python writes snappy in the xerial framing (librdkafka writes raw snappy) and
        # lz4 as LZ4 frames; the broker must take both and serve them back as they came.
        for codec, module in CODECS.items():
            with self.subTest(codec=codec):
                if module:
                    try:
                        importlib.import_module(module)
                    except ImportError:
                        self.fail(f"kafka-python needs the Python module {module} for {codec}: "
                                  f"install {DEBIAN_PACKAGES[module]} (scripts/setup --test)")
                topic = self.unique_topic(f"kp-{codec}")
                self.admin().create_topics([NewTopic(topic, 2, 1)])
                self.check_round_trip(topic, 2, compression_type=codec, linger_ms=20)

    def test_offsets_for_times_and_end_offsets(self):
        topic = self.unique_topic("kp-times")
        self.admin().create_topics([NewTopic(topic, 2, 1)])
        base_ts = now_ms() - 10_000
        p = producer(self.bootstrap)
        try:
            self.produce(p, topic, [(0, None, f"v{i}".encode(), None, base_ts + 100 * i)
                                    for i in range(10)])
        finally:
            p.close()
        c = consumer(self.bootstrap)
        try:
            tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
            self.assertEqual(c.end_offsets([tp0, tp1]), {tp0: 10, tp1: 0})
            self.assertEqual(c.beginning_offsets([tp0, tp1]), {tp0: 0, tp1: 0})
            for ts, want in [(base_ts - 5, 0), (base_ts, 0), (base_ts + 1, 1),
                             (base_ts + 450, 5), (base_ts + 900, 9)]:
                with self.subTest(ts=ts - base_ts):
                    found = c.offsets_for_times({tp0: ts})[tp0]
                    self.assertIsNotNone(found)
                    self.assertEqual(found.offset, want)
                    self.assertEqual(found.timestamp, base_ts + 100 * want)
            self.assertIsNone(c.offsets_for_times({tp0: base_ts + 901})[tp0])
            self.assertIsNone(c.offsets_for_times({tp1: base_ts})[tp1])
        finally:
            c.close()

    def test_admin_create_and_delete_topics(self):
        a, b = self.unique_topic("kp-admin-a"), self.unique_topic("kp-admin-b")
        admin = self.admin()
        admin.create_topics([NewTopic(a, 3, 1), NewTopic(b, 1, 1)], timeout_ms=10000)
        self.assertTrue({a, b} <= set(admin.list_topics()))
        c = consumer(self.bootstrap)
        try:
            self.assertEqual(c.partitions_for_topic(a), {0, 1, 2})
        finally:
            c.close()

        with self.assertRaises(Errors.TopicAlreadyExistsError):
            admin.create_topics([NewTopic(a, 1, 1)])
        with self.assertRaises(Errors.InvalidReplicationFactorError):
            admin.create_topics([NewTopic(self.unique_topic("kp-rf"), 1, 2)])

        admin.delete_topics([a], timeout_ms=10000)
        wait_until(lambda: a not in self.admin().list_topics(), 10, f"{a} to be gone")
        self.assertIn(b, admin.list_topics())
        with self.assertRaises(Errors.UnknownTopicOrPartitionError):
            admin.delete_topics([a])

    def test_record_over_max_message_bytes_is_refused(self):
        # The server's default max.message.bytes is 1048588; the client allows 4 MB, so only
        # the broker can refuse this record.
        topic = self.unique_topic("kp-too-large")
        self.admin().create_topics([NewTopic(topic, 1, 1)])
        p = producer(self.bootstrap, max_request_size=4 * 1024 * 1024, retries=0)
        try:
            future = p.send(topic, value=os.urandom(2 * 1024 * 1024), partition=0)
            with self.assertRaises(Errors.MessageSizeTooLargeError):
                future.get(timeout=DEADLINE_S)
            md = p.send(topic, value=b"fits", partition=0).get(timeout=DEADLINE_S)
            self.assertEqual(md.offset, 0)
        finally:
            p.close()
        got = read_all(self.bootstrap, topic, [0])
        self.assertEqual([(r.offset, r.value) for r in got[0]], [(0, b"fits")])

    def test_producing_to_an_unknown_topic_creates_it(self):
        topic = self.unique_topic("kp-auto")
        self.assertNotIn(topic, self.topics())
        p = producer(self.bootstrap)
        try:
            md = p.send(topic, key=b"k", value=b"first").get(timeout=DEADLINE_S)
        finally:
            p.close()
        self.assertEqual((md.partition, md.offset), (0, 0))
        self.assertIn(topic, self.topics())
        got = read_all(self.bootstrap, topic, [0])
        self.assertEqual([r.value for r in got[0]], [b"first"])


def _not_a_cancelled_fetch(record):
    # close() cancels the consumer's long-polling fetch, and kafka-python logs that as an error.
    return "failed: Cancelled" not in record.getMessage()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("kafka.consumer.fetcher").addFilter(_not_a_cancelled_fetch)
    tarn_server.main()
