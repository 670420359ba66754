"""kcat 1.7.1 (librdkafka 2.0.2) against a real `tarn serve`: keys, headers, every compression
codec, metadata listing, offsets (absolute, relative to the end, by timestamp) and empty
partitions; and -G, kcat's balanced consumer in a consumer group, resuming at its commits.

Run: /usr/bin/python3 tests/compat/test_kcat.py --tarn build/release/src/app/tarn
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import (ServerTestCase, now_ms, run, wait_for_clock_after,  # noqa: E402
                         wait_until)

KCAT = "kcat"
TIMEOUT_S = 30
# Delivery failures must surface well inside the subprocess deadline.
CLIENT_CONF = ["-X", "message.timeout.ms=20000", "-X", "socket.timeout.ms=10000",
               "-m", "15"]


class KcatTest(ServerTestCase):
    # A short initial rebalance delay, so that -G's first rebalance does not wait 3 s.
    SERVER_ARGS = ("--group-initial-rebalance-delay-ms", "300")

    # -- kcat wrappers -----------------------------------------------------------------------

    def produce(self, topic, lines, *args):
        """Produces one record per line; returns kcat's stderr."""
        proc = run([KCAT, "-P", "-b", self.bootstrap, "-t", topic, *CLIENT_CONF, *args],
                   TIMEOUT_S, input="".join(line + "\n" for line in lines))
        self.assertNotIn("Delivery failed", proc.stderr)
        self.assertNotIn("ERROR", proc.stderr)
        # librdkafka sends a batch uncompressed when it decides from ApiVersions that the broker
        # lacks the codec; with `-d msg` it says so. librdkafka 2.0.2 wants Produce v0 inside
        # the advertised Produce range for gzip, snappy and lz4 (it still sends v7), and
        # FindCoordinator v0 for lz4; zstd needs Produce v7 and Fetch v10.
        refused = [line for line in proc.stderr.splitlines()
                   if "does not support compression" in line]
        self.assertEqual(refused, [], "librdkafka sent the batch uncompressed")
        return proc.stderr

    def consume(self, topic, *args):
        """Consumes to the end of every partition (-e); returns stdout."""
        proc = run([KCAT, "-C", "-b", self.bootstrap, "-t", topic, "-e", *CLIENT_CONF, *args],
                   TIMEOUT_S)
        self.assertNotIn("ERROR", proc.stderr)
        return proc.stdout

    def consume_json(self, topic, *args):
        out = self.consume(topic, "-J", *args)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def end_offset(self, topic, partition):
        """The high watermark, from ListOffsets (timestamp -1) through kcat -Q."""
        proc = run([KCAT, "-Q", "-b", self.bootstrap, *CLIENT_CONF,
                    "-t", f"{topic}:{partition}:-1"], TIMEOUT_S)
        match = re.search(r"\[\d+\]\s+offset (-?\d+)", proc.stdout)
        self.assertIsNotNone(match, proc.stdout)
        return int(match.group(1))

    def metadata(self, *args):
        proc = run([KCAT, "-L", "-J", "-b", self.bootstrap, *CLIENT_CONF, *args], TIMEOUT_S)
        return json.loads(proc.stdout)

    # -- tests -------------------------------------------------------------------------------

    def test_keys_headers_and_offsets(self):
        topic = self.unique_topic("kcat-keys")
        lines = [f"key-{i}:value {i}: with | and , inside" for i in range(20)]
        self.produce(topic, lines, "-p", "0", "-K:", "-H", "source=kcat", "-H", "trace=abc-1")

        out = self.consume(topic, "-p", "0", "-o", "beginning", "-f", r"%k|%h|%s|%o|%p\n")
        expected = [f"key-{i}|source=kcat,trace=abc-1|value {i}: with | and , inside|{i}|0"
                    for i in range(20)]
        self.assertEqual(out.splitlines(), expected)

        records = self.consume_json(topic, "-p", "0", "-o", "beginning")
        self.assertEqual(len(records), 20)
        for i, r in enumerate(records):
            self.assertEqual(r["topic"], topic)
            self.assertEqual(r["partition"], 0)
            self.assertEqual(r["offset"], i)
            self.assertEqual(r["key"], f"key-{i}")
            self.assertEqual(r["payload"], f"value {i}: with | and , inside")
            # -J lists headers as [name, value, name, value, ...].
            self.assertEqual(r["headers"], ["source", "kcat", "trace", "abc-1"])
            self.assertEqual(r["tstype"], "create")
            self.assertGreater(r["ts"], 0)

    def test_null_key_and_null_value(self):
        topic = self.unique_topic("kcat-nulls")
        # -Z: an empty key or value is sent as NULL.
        self.produce(topic, ["k1:v1", ":no-key", "tombstone:", "k3:v3"], "-p", "0", "-K:", "-Z")
        records = self.consume_json(topic, "-p", "0", "-o", "beginning", "-Z")
        got = [(r["offset"], r["key"], r["payload"]) for r in records]
        self.assertEqual(got, [(0, "k1", "v1"), (1, None, "no-key"), (2, "tombstone", None),
                               (3, "k3", "v3")])
        lengths = self.consume(topic, "-p", "0", "-o", "beginning", "-f", r"%K %S\n")
        self.assertEqual(lengths.splitlines(), ["2 2", "-1 6", "9 -1", "2 2"])

    def test_every_compression_codec(self):
        # Enough similar records that every codec really compresses a multi-record batch.
        lines = [f"key-{i}:value-{i}-" + "abcdefgh" * 20 for i in range(500)]
        for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
            with self.subTest(codec=codec):
                topic = self.unique_topic(f"kcat-{codec}")
                stderr = self.produce(topic, lines, "-p", "0", "-K:", "-z", codec, "-d", "msg",
                                      "-X", "linger.ms=50", "-H", f"codec={codec}")
                if codec != "none":  # the batch went out compressed with this codec
                    self.assertRegex(stderr, r"Produce MessageSet with \d+ message\(s\) \(.*"
                                             rf"MsgVersion 2, .*\b{codec}\)")
                records = self.consume_json(topic, "-p", "0", "-o", "beginning")
                self.assertEqual(len(records), len(lines))
                for i, r in enumerate(records):
                    self.assertEqual(r["offset"], i)
                    self.assertEqual(f'{r["key"]}:{r["payload"]}', lines[i])
                    self.assertEqual(r["headers"], ["codec", codec])

    def test_acks_0_and_acks_1(self):
        # With acks=0 the broker sends no Produce response at all; one sent anyway would be
        # taken as the answer to kcat's next request.
        for acks in ("0", "1"):
            with self.subTest(acks=acks):
                topic = self.unique_topic(f"kcat-acks{acks}")
                self.produce(topic, ["warm-up"], "-p", "0")  # auto-create before acks=0 sends
                lines = [f"record-{i}" for i in range(300)]
                self.produce(topic, lines, "-p", "0", "-X", f"acks={acks}",
                             "-X", "linger.ms=5", "-X", "batch.num.messages=50")
                self.produce(topic, ["after"], "-p", "0", "-X", f"acks={acks}")
                # acks=0: kcat is done once it has sent; wait for the broker to append.
                wait_until(lambda: self.end_offset(topic, 0) == 302, 10, "302 records")
                out = self.consume(topic, "-p", "0", "-o", "beginning", "-f", r"%o=%s\n")
                self.assertEqual(out.splitlines(),
                                 [f"{i}={v}" for i, v in enumerate(["warm-up", *lines, "after"])])

    def test_metadata_lists_topics_and_this_broker(self):
        topic = self.unique_topic("kcat-meta")
        self.produce(topic, ["a", "b"], "-p", "0")  # auto-creates the topic
        md = self.metadata()
        self.assertEqual(len(md["brokers"]), 1)
        broker = md["brokers"][0]
        self.assertEqual(broker["name"], self.bootstrap)  # the advertised address
        self.assertEqual(md["controllerid"], broker["id"])
        topics = {t["topic"]: t for t in md["topics"]}
        self.assertIn(topic, topics)
        t = topics[topic]
        self.assertNotIn("error", t)
        self.assertEqual([p["partition"] for p in t["partitions"]], [0])
        self.assertEqual(t["partitions"][0]["leader"], broker["id"])

        only = self.metadata("-t", topic)
        self.assertEqual([t["topic"] for t in only["topics"]], [topic])

    def test_offsets_absolute_relative_and_by_timestamp(self):
        topic = self.unique_topic("kcat-offsets")
        self.produce(topic, [f"early-{i}" for i in range(5)], "-p", "0")
        middle = now_ms()
        wait_for_clock_after(middle)
        self.produce(topic, [f"late-{i}" for i in range(5)], "-p", "0")

        def values(*args):
            out = self.consume(topic, "-p", "0", "-f", r"%o=%s\n", *args)
            return out.splitlines()

        self.assertEqual(values("-o", "7"), ["7=late-2", "8=late-3", "9=late-4"])
        self.assertEqual(values("-o", "-2"), ["8=late-3", "9=late-4"])
        self.assertEqual(values("-o", f"s@{middle}"), [f"{5 + i}=late-{i}" for i in range(5)])
        self.assertEqual(values("-o", "end"), [])

        # -Q asks ListOffsets for the first offset at or after a timestamp.
        proc = run([KCAT, "-Q", "-b", self.bootstrap, *CLIENT_CONF,
                    "-t", f"{topic}:0:{middle}"], TIMEOUT_S)
        self.assertRegex(proc.stdout, rf"{topic} \[0\]\s+offset 5\b")

    def test_all_partitions_with_empty_ones(self):
        # kcat without -p reads every partition and, with -e, stops at the end of each, so an
        # empty partition must answer a fetch at its high watermark with no records and no error.
        topic = self.unique_topic("kcat-parts")
        create_topic(self.bootstrap, topic, partitions=3)
        self.produce(topic, ["p0-a", "p0-b"], "-p", "0")
        self.produce(topic, ["p1-a"], "-p", "1")
        out = self.consume(topic, "-o", "beginning", "-f", r"%p/%o=%s\n")
        self.assertEqual(sorted(out.splitlines()), ["0/0=p0-a", "0/1=p0-b", "1/0=p1-a"])
        md = self.metadata("-t", topic)
        self.assertEqual(sorted(p["partition"] for p in md["topics"][0]["partitions"]), [0, 1, 2])

    def test_balanced_consumer_commits_and_resumes(self):
        # kcat -G joins a consumer group (subscribe, auto commit); the next run of the same group
        # starts at the committed offsets.
        topic = self.unique_topic("kcat-group")
        group = f"{topic}-group"
        create_topic(self.bootstrap, topic, partitions=3)
        for p in range(3):
            self.produce(topic, [f"p{p}-a", f"p{p}-b"], "-p", str(p))

        def consume_group():
            proc = run([KCAT, "-b", self.bootstrap, *CLIENT_CONF, "-G", group, "-X", "auto.offset.reset=earliest",
                        "-e", "-f", r"%p/%o=%s\n", topic], TIMEOUT_S)
            self.assertNotIn("ERROR", proc.stderr)
            return sorted(proc.stdout.splitlines())

        self.assertEqual(consume_group(),
                         ["0/0=p0-a", "0/1=p0-b", "1/0=p1-a", "1/1=p1-b", "2/0=p2-a", "2/1=p2-b"])
        self.produce(topic, ["p1-c"], "-p", "1")
        self.assertEqual(consume_group(), ["1/2=p1-c"])


def create_topic(bootstrap, topic, partitions):
    """kcat cannot create topics; confluent-kafka's AdminClient does it here."""
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=10,
                                  request_timeout=15)
    futures[topic].result(timeout=20)


if __name__ == "__main__":
    tarn_server.main()
