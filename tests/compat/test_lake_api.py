"""The event lake's interfaces beyond its files (docs/lake.md), against a real `tarn serve`:
`tarn lake replay` (marked events, key order, resumption after a SIGKILL), GET /v1/lake/events
and /v1/lake/status, and the lake's metrics. test_lake.py checks the files, the archiver's
exactly-once under crashes, `verify` and `query`.

Run: /usr/bin/python3 tests/compat/test_lake_api.py --tarn build/release/src/app/tarn
"""

import glob
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import TarnServer, run, wait_until  # noqa: E402

from confluent_kafka import Producer  # noqa: E402

PARTITIONS = 3
T0 = 1_790_000_000_000  # the events' own times start here, one hour apart
TYPES = ["order-placed", "order-shipped", "payment-made"]


def event(n):
    return {"id": f"e-{n}", "type": TYPES[n % len(TYPES)], "timestamp": T0 + n * 3_600_000,
            "partitionKey": f"k{n % 5}", "order": {"n": n, "total": n % 200}}


def produce(bootstrap, topic, events):
    """Produces `events` (acks=all, idempotent); returns {(partition, offset): event} of the
    acknowledged ones."""
    delivered = {}
    timeout_ms = 20000
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                         "linger.ms": 5, "message.timeout.ms": timeout_ms})

    def report(err, msg, value):
        if err is None:
            delivered[(msg.partition(), msg.offset())] = value

    for e in events:
        value = json.dumps(e)
        producer.produce(topic, key=e["partitionKey"], value=value,
                         on_delivery=lambda err, msg, v=value: report(err, msg, v))
        producer.poll(0)
    producer.flush(timeout_ms / 1000 + 5)
    return delivered


def manifests(root):
    found = []
    for path in glob.glob(os.path.join(root, "**", "*.manifest.json"), recursive=True):
        with open(path) as f:
            found.append((path, json.load(f)))
    return found


def archived_count(root, topic="bus"):
    return sum(m["events"] for _, m in manifests(root) if m["topic"] == topic)


class LakeApiTest(unittest.TestCase):
    """One server, 600 events on `bus` and 3 on `faults`, archived with short file ages."""

    @classmethod
    def setUpClass(cls):
        cls.server = TarnServer(extra_args=["--default-partitions", str(PARTITIONS),
                                            "--lake-file-age-ms", "300"], name="lake")
        cls.server.start()
        cls.lake = os.path.join(cls.server.data_dir, "lake")
        cls.fault_lake = os.path.join(cls.server.data_dir, "fault-lake")
        cls.events = [event(n) for n in range(600)]
        cls.acked = produce(cls.server.bootstrap, "bus", cls.events)
        assert len(cls.acked) == 600, f"only {len(cls.acked)} of 600 acknowledged"
        cls.faults = produce(cls.server.bootstrap, "faults",
                             [{"id": f"f-{i}", "type": "fault", "timestamp": T0, "partitionKey": "f",
                               "err": {"name": "X", "message": "y"}} for i in range(3)])
        wait_until(lambda: archived_count(cls.lake) == 600 and archived_count(cls.fault_lake, "faults") == 3,
                   30, "the lake to hold every event")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def tarn(self, *args, check=True):
        return run([tarn_server.tarn_binary(), *args], timeout_s=60, check=check)

    def query(self, *args):
        """The bus's lines that match (the replays' topics are archived too)."""
        out = self.tarn("lake", "query", "--dir", self.lake, "--topic", "bus", *args).stdout
        return [json.loads(line) for line in out.splitlines()]

    def test_http_query_and_status(self):
        base = f"http://127.0.0.1:{self.server.http_port}/v1/lake"
        params = urllib.parse.urlencode({"type": "payment-made", "key": "k1", "topic": "bus"})
        with urllib.request.urlopen(f"{base}/events?{params}", timeout=30) as r:
            self.assertEqual(r.headers["Content-Type"], "application/x-ndjson")
            lines = [json.loads(l) for l in r.read().decode().splitlines()]
        self.assertEqual(sorted(l["event"]["id"] for l in lines),
                         sorted(e["id"] for e in self.events if e["type"] == "payment-made" and e["partitionKey"] == "k1"))
        with self.assertRaises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(f"{base}/events?from=yesterday", timeout=30)
        self.assertEqual(bad.exception.code, 400)
        self.assertEqual(json.loads(bad.exception.read())["error"]["code"], "invalid_argument")
        with urllib.request.urlopen(f"{base}/status", timeout=30) as r:
            status = json.loads(r.read())
        self.assertEqual(sum(v for k, v in status["end_positions"].items() if k.startswith("bus/")), 600)
        self.assertEqual(status["lag"]["bus/0"], 0)
        with urllib.request.urlopen(f"http://127.0.0.1:{self.server.http_port}/metrics", timeout=30) as r:
            metrics = r.read().decode()
        self.assertIn('tarn_lake_lag{lake="lake",topic="bus",partition="0"} 0', metrics)
        self.assertIn('tarn_lake_events_total{lake="faults"} 3', metrics)

    def test_replay_sends_matching_events_in_key_order_marked_and_resumes(self):
        from confluent_kafka import Consumer, TopicPartition
        args = ["lake", "replay", "--dir", self.lake, "--name", "rebuild", "--to-topic", "rebuilt",
                "--brokers", self.server.bootstrap, "--topic", "bus", "--type", "order-shipped", "--rate", "2000"]
        self.tarn(*args)
        self.tarn(*args)  # done already: sends nothing more
        consumer = Consumer({"bootstrap.servers": self.server.bootstrap, "group.id": "replay-check",
                             "enable.auto.commit": False})
        consumer.assign([TopicPartition("rebuilt", p, 0) for p in range(PARTITIONS)])
        got = []
        deadline = time.monotonic() + 20
        while len(got) < 200 and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got.append(json.loads(msg.value()))
        consumer.close()
        self.assertEqual(len(got), 200)
        self.assertEqual(sorted(e["id"] for e in got),
                         sorted(e["id"] for e in self.events if e["type"] == "order-shipped"))
        self.assertTrue(all(e["tags"]["replay"] == "rebuild" for e in got))
        last = {}
        for e in got:
            self.assertGreater(e["order"]["n"], last.get(e["partitionKey"], -1))
            last[e["partitionKey"]] = e["order"]["n"]

    def test_an_interrupted_replay_resumes_without_losing_events(self):
        from confluent_kafka import Consumer, TopicPartition
        args = [tarn_server.tarn_binary(), "lake", "replay", "--dir", self.lake, "--name", "interrupted",
                "--to-topic", "resumed", "--brokers", self.server.bootstrap, "--topic", "bus", "--rate", "400"]
        first = tarn_server.spawn(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        state = os.path.join(self.lake, "_replays", "interrupted.json")
        wait_until(lambda: os.path.exists(state), 20, "the replay to note progress")
        first.kill()  # part way: 600 events at 400/s take 1.5 s
        first.wait(10)
        with open(state) as f:
            noted = sum(v + 1 for v in json.load(f)["sent"].values())
        self.assertLess(noted, 600, "the replay was not interrupted part way")
        self.tarn(*args[1:])
        consumer = Consumer({"bootstrap.servers": self.server.bootstrap, "group.id": "resume-check",
                             "enable.auto.commit": False})
        consumer.assign([TopicPartition("resumed", p, 0) for p in range(PARTITIONS)])
        got = []
        deadline = time.monotonic() + 20
        while len(set(got)) < 600 and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got.append(json.loads(msg.value())["id"])
        consumer.close()
        self.assertEqual(set(got), {e["id"] for e in self.events})
        # What the first run sent after its last note is sent again: at most one batch.
        self.assertLessEqual(len(got) - 600, 40)  # --rate 400 sends batches of 40


if __name__ == "__main__":
    tarn_server.main()
