"""Log compaction against a real `tarn serve`, read back with confluent-kafka 1.7.0 (librdkafka
2.0.2): a cleanup.policy=compact topic with small segments keeps only the latest value of each
key, at its original offset; a tombstone hides its key at once and is itself removed once
delete.retention.ms has passed; the compacted log survives a SIGKILL; a record without a key is
refused with INVALID_RECORD.

Run: /usr/bin/python3 tests/compat/test_compaction.py --tarn build/release/src/app/tarn
"""

import os
import re
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import ServerTestCase, wait_until  # noqa: E402

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError,  # noqa: E402
                             KafkaException, Producer, TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
import kafka  # noqa: E402  (kafka-python)

DEADLINE_S = 30
COMPACTION_DEADLINE_S = 90
SEGMENT_MS = 300
KEYS = [f"key-{k}".encode() for k in range(6)]
DELETED = {KEYS[1], KEYS[4]}


def client_conf(bootstrap, **extra):
    conf = {"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000}
    conf.update({k.replace("_", "."): v for k, v in extra.items()})
    return conf


def produce(producer, topic, records):
    """Produces (key, value) pairs in order; returns their offsets."""
    offsets = [None] * len(records)
    errors = []

    def on_delivery(index):
        def report(err, msg):
            if err is not None:
                errors.append((index, err))
            else:
                offsets[index] = msg.offset()
        return report

    for i, (key, value) in enumerate(records):
        while True:
            try:
                producer.produce(topic, key=key, value=value, on_delivery=on_delivery(i))
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    if producer.flush(DEADLINE_S):
        raise AssertionError(f"records still undelivered after {DEADLINE_S}s")
    if errors:
        raise AssertionError(f"delivery failed: {errors[:3]}")
    return offsets


def read_topic(bootstrap, topic):
    """Every record of partition 0 from the beginning to the high watermark, as
    (offset, key, value) triples, and the (low, high) watermarks."""
    c = Consumer(client_conf(bootstrap, group_id=f"compaction-{os.getpid()}",
                             enable_auto_commit=False, enable_auto_offset_store=False,
                             auto_offset_reset="error"))
    try:
        tp = TopicPartition(topic, 0)
        low, high = c.get_watermark_offsets(tp, timeout=10)
        c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        got = []
        deadline = time.monotonic() + DEADLINE_S
        while not got or got[-1][0] < high - 1:
            if time.monotonic() > deadline:
                raise AssertionError(f"read up to {got[-1][0] if got else None} of {high} "
                                     f"within {DEADLINE_S}s")
            msg = c.poll(0.2)
            if msg is None:
                continue
            if msg.error():
                raise KafkaException(msg.error())
            got.append((msg.offset(), msg.key(), msg.value()))
        return got, (low, high)
    finally:
        c.close()


def read_topic_with_kafka_python(bootstrap, topic, high):
    """The same as read_topic, with kafka-python: a second client's view of the gaps (and of
    the empty batches compaction keeps)."""
    c = kafka.KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        tp = kafka.TopicPartition(topic, 0)
        c.assign([tp])
        c.seek_to_beginning(tp)
        got = []
        deadline = time.monotonic() + DEADLINE_S
        while not got or got[-1][0] < high - 1:
            if time.monotonic() > deadline:
                raise AssertionError(f"kafka-python read {got[-1:]} of {high} within {DEADLINE_S}s")
            for records in c.poll(timeout_ms=200).values():
                got.extend((r.offset, r.key, r.value) for r in records)
        return got
    finally:
        c.close()


def metric(server, name):
    """The value of an unlabelled counter from the server's /metrics."""
    url = f"http://127.0.0.1:{server.http_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


class CompactionTest(ServerTestCase):
    SERVER_ARGS = ("--log-cleaner-interval-ms", "100")

    def admin(self):
        if getattr(self, "_admin", None) is None:
            self._admin = AdminClient(client_conf(self.bootstrap))
            self.addCleanup(setattr, self, "_admin", None)
        return self._admin

    def create_compacted(self, topic, delete_retention_ms):
        configs = {"cleanup.policy": "compact", "segment.bytes": "1024",
                   "segment.ms": str(SEGMENT_MS), "delete.retention.ms": str(delete_retention_ms),
                   "min.cleanable.dirty.ratio": "0.1"}
        futures = self.admin().create_topics([NewTopic(topic, 1, 1, config=configs)],
                                             operation_timeout=10, request_timeout=15)
        for f in futures.values():
            f.result(timeout=DEADLINE_S)

    def write_history(self, topic):
        """Many values for every key, then tombstones for DELETED, then (after segment.ms, so
        that everything before it is in sealed, cleanable segments) one marker record. Returns
        {offset: (key, value)} of everything written."""
        # Small batches, so that the 1 KiB segments roll many times.
        producer = Producer(client_conf(self.bootstrap, acks="all", linger_ms=2,
                                        batch_num_messages=15))
        records = [(KEYS[i % len(KEYS)], f"value-{i}-".encode() + b"x" * (i % 40))
                   for i in range(600)]
        records += [(key, None) for key in sorted(DELETED)]
        offsets = produce(producer, topic, records)
        time.sleep(2 * SEGMENT_MS / 1000)  # let the active segment age past segment.ms
        offsets += produce(producer, topic, [(b"marker", b"last")])
        records.append((b"marker", b"last"))
        self.assertEqual(offsets, list(range(len(records))), "offsets are dense as written")
        return dict(zip(offsets, records))

    @staticmethod
    def latest(written, drop_tombstones):
        """What compaction must leave: the last record of every key, at its offset."""
        last = {}
        for offset in sorted(written):
            last[written[offset][0]] = offset
        return [(o, written[o][0], written[o][1]) for o in sorted(last.values())
                if not (drop_tombstones and written[o][1] is None)]

    def wait_for_contents(self, topic, expected):
        def compacted():
            got, _ = read_topic(self.bootstrap, topic)
            return got == expected
        wait_until(compacted, COMPACTION_DEADLINE_S, f"{topic} to be compacted", interval_s=0.3)

    def check_contents(self, topic, expected, total):
        got, (low, high) = read_topic(self.bootstrap, topic)
        self.assertEqual((low, high), (0, total), "log start and high watermark do not move")
        self.assertEqual(got, expected)
        offsets = [o for o, _, _ in got]
        self.assertEqual(offsets, sorted(set(offsets)), "offsets strictly increase")

    def test_compaction_keeps_the_latest_value_per_key_and_drops_old_tombstones(self):
        topic = self.unique_topic("compacted")
        self.create_compacted(topic, delete_retention_ms=1000)
        written = self.write_history(topic)
        expected = self.latest(written, drop_tombstones=True)
        self.assertEqual([k for _, k, _ in expected],
                         [k for k in KEYS if k not in DELETED] + [b"marker"])

        self.wait_for_contents(topic, expected)
        self.assertGreaterEqual(metric(self.server, "tarn_log_cleaner_passes_total"), 1)
        self.assertGreater(metric(self.server, "tarn_log_cleaner_records_removed_total"), 590)
        self.check_contents(topic, expected, len(written))

        # A crash after compaction loses nothing: the swap was on disk before it was used.
        self.server.restart(crash=True)
        self.check_contents(topic, expected, len(written))
        # The first pass after a restart rewrites what is already clean, changing nothing.
        wait_until(lambda: metric(self.server, "tarn_log_cleaner_passes_total") >= 1,
                   COMPACTION_DEADLINE_S, "a cleaner pass after the restart", interval_s=0.1)
        self.check_contents(topic, expected, len(written))

        # Appends go on after the gaps, and a new value for a deleted key brings it back.
        offsets = produce(Producer(client_conf(self.bootstrap, acks="all")), topic,
                          [(KEYS[1], b"back")])
        self.assertEqual(offsets, [len(written)])
        got, _ = read_topic(self.bootstrap, topic)
        self.assertEqual(got[-1], (len(written), KEYS[1], b"back"))

    def test_tombstones_stay_for_delete_retention_ms(self):
        topic = self.unique_topic("tombstones")
        self.create_compacted(topic, delete_retention_ms=3_600_000)
        written = self.write_history(topic)
        expected = self.latest(written, drop_tombstones=False)
        self.assertEqual(sum(1 for _, _, v in expected if v is None), len(DELETED))
        self.wait_for_contents(topic, expected)
        self.check_contents(topic, expected, len(written))
        self.assertEqual(read_topic_with_kafka_python(self.bootstrap, topic, len(written)),
                         expected)

    def test_a_record_without_a_key_is_refused(self):
        topic = self.unique_topic("keyless")
        self.create_compacted(topic, delete_retention_ms=1000)
        producer = Producer(client_conf(self.bootstrap, acks="all", retries=0))
        reports = []
        # One at a time: Kafka refuses a whole batch when one of its records has no key.
        producer.produce(topic, value=b"no key", on_delivery=lambda err, msg: reports.append(err))
        self.assertEqual(producer.flush(DEADLINE_S), 0)
        producer.produce(topic, key=b"k", value=b"keyed",
                         on_delivery=lambda err, msg: reports.append(err))
        self.assertEqual(producer.flush(DEADLINE_S), 0)
        self.assertEqual(len(reports), 2)
        self.assertIsNotNone(reports[0])
        self.assertEqual(reports[0].code(), KafkaError.INVALID_RECORD)
        self.assertIsNone(reports[1])


if __name__ == "__main__":
    tarn_server.main()
