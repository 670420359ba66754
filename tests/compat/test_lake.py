"""The event lake (docs/lake.md) against a real `tarn serve` and real readers:

  * what confluent-kafka producers write is in the lake's files once each, as the doc lays them
    out, and `zstdcat | jq` and DuckDB (@duckdb/node-api) read the files as they are;
  * `faults` goes to the fault lake, internal topics nowhere;
  * SIGKILLing the server at random points many times while producers write leaves every
    acknowledged record in the lake exactly once, with no gap (TARN_LAKE_SEED replays a run);
  * `tarn lake verify` finds a damaged file and a missing one; `tarn lake query`, `replay` and
    GET /v1/lake/events select what they are asked for, and refuse bad input with a clear error.

Run: /usr/bin/python3 tests/compat/test_lake.py --tarn build/release/src/app/tarn
"""

import glob
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import COMPAT_DIR, TarnServer, run, wait_until  # noqa: E402

from confluent_kafka import Producer  # noqa: E402

PARTITIONS = 3
DAY_MS = 86_400_000
T0 = 1_790_000_000_000  # the events' own times start here, one hour apart
TYPES = ["order-placed", "order-shipped", "payment-made"]
LAYOUT = r"^[a-z0-9-]+/\d{4}/\d{2}/\d{2}/\d{2}/[A-Za-z0-9._-]+\+\d+\+\d{20}\.ndjson\.zst$"


def event(n):
    return {"id": f"e-{n}", "type": TYPES[n % len(TYPES)], "timestamp": T0 + n * 3_600_000,
            "partitionKey": f"k{n % 5}", "order": {"n": n, "total": n % 200}}


def produce(bootstrap, topic, events, acked=None, timeout_ms=20000, quiet=False):
    """Produces `events` (acks=all, idempotent); returns {(partition, offset): event} of the
    acknowledged ones (also added to `acked` as they arrive, when given). `quiet` silences
    librdkafka's connection errors (for a server that is being killed)."""
    delivered = {} if acked is None else acked
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                         "linger.ms": 5, "message.timeout.ms": timeout_ms,
                         "log_level": 0 if quiet else 6})

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


def lake_records(root, topic="bus"):
    """Every line of `topic`'s files, as (partition, offset) -> line, failing on a repeat."""
    lines = {}
    for path in sorted(glob.glob(os.path.join(root, "**", f"{topic}+*.ndjson.zst"), recursive=True)):
        text = subprocess.run(["zstdcat", path], check=True, capture_output=True, timeout=60).stdout
        for raw in text.decode().splitlines():
            line = json.loads(raw)
            where = (line["partition"], line["offset"])
            if where in lines:
                raise AssertionError(f"{topic} {where} is in the lake twice (again in {path})")
            lines[where] = line
    return lines


def archived_count(root, topic="bus"):
    return sum(m["events"] for _, m in manifests(root) if m["topic"] == topic)


class LakeTest(unittest.TestCase):
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

    def test_files_hold_every_record_once_as_the_doc_lays_them_out(self):
        lines = lake_records(self.lake)
        self.assertEqual(set(lines), set(self.acked))
        for where, value in self.acked.items():
            line = lines[where]
            self.assertEqual(line["topic"], "bus")
            self.assertEqual(line["event"], json.loads(value))
            self.assertEqual(line["key"], json.loads(value)["partitionKey"])
        for path, m in manifests(self.lake):
            data = os.path.join(os.path.dirname(path), m["file"])
            self.assertRegex(os.path.relpath(data, self.lake), LAYOUT)
            with open(data, "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), m["sha256"])
            self.assertEqual(os.path.getsize(data), m["bytes"])
            mine = [l for (p, o), l in lines.items() if p == m["partition"] and m["start_position"] <= o < m["end_position"]]
            self.assertEqual(len(mine), m["events"])
            self.assertEqual(min(l["offset"] for l in mine), m["first_offset"])
            self.assertEqual(max(l["offset"] for l in mine), m["last_offset"])
            types = {}
            for l in mine:
                types[l["event"]["type"]] = types.get(l["event"]["type"], 0) + 1
            self.assertEqual(types, m["types"])
            self.assertEqual(m["min_event_time"], min(l["event"]["timestamp"] for l in mine))
        self.assertFalse(glob.glob(os.path.join(self.lake, "**", "*.tmp"), recursive=True))
        self.assertFalse(glob.glob(os.path.join(self.lake, "**", "_*+*"), recursive=True),
                         "internal topics are not archived")

    def test_faults_go_to_the_fault_lake(self):
        self.assertEqual(len(lake_records(self.fault_lake, "faults")), 3)
        self.assertEqual(lake_records(self.lake, "faults"), {})

    def test_zstdcat_and_jq_read_the_files(self):
        files = " ".join(glob.glob(os.path.join(self.lake, "**", "bus+*.ndjson.zst"), recursive=True))
        out = subprocess.run(f"zstdcat {files} | jq -c 'select(.event.type == \"payment-made\") | .event.id'",
                             shell=True, check=True, capture_output=True, text=True, timeout=60).stdout
        self.assertEqual(len(out.splitlines()), 200)

    def test_duckdb_reads_the_files_as_they_are(self):
        self.assertTrue(os.path.isdir(os.path.join(COMPAT_DIR, "node_modules", "@duckdb", "node-api")),
                        "@duckdb/node-api is not installed: run scripts/setup --test")
        sql = (f"SELECT event.type AS type, count(*) AS n, sum(event.order.total) AS total "
               f"FROM read_json('{self.lake}/**/bus+*.ndjson.zst', format='newline_delimited') "
               f"GROUP BY 1 ORDER BY 1")
        out = run(["node", os.path.join(COMPAT_DIR, "lake_duckdb_query.mjs"), sql], timeout_s=120).stdout
        rows = {row["type"]: (int(row["n"]), int(row["total"])) for row in json.loads(out)}
        expected = {}
        for e in self.events:
            n, total = expected.get(e["type"], (0, 0))
            expected[e["type"]] = (n + 1, total + e["order"]["total"])
        self.assertEqual(rows, expected)

    def test_query_filters(self):
        ids = lambda lines: sorted(l["event"]["id"] for l in lines)  # noqa: E731
        want = lambda pred: sorted(e["id"] for e in self.events if pred(e))  # noqa: E731
        self.assertEqual(ids(self.query("--type", "order-placed")), want(lambda e: e["type"] == "order-placed"))
        self.assertEqual(ids(self.query("--type", "order-*")), want(lambda e: e["type"].startswith("order-")))
        lo, hi = T0 + 100 * 3_600_000, T0 + 150 * 3_600_000
        self.assertEqual(ids(self.query("--from", str(lo), "--to", str(hi))),
                         want(lambda e: lo <= e["timestamp"] < hi))
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(lo / 1000))
        self.assertEqual(ids(self.query("--from", iso, "--to", str(hi))), want(lambda e: lo <= e["timestamp"] < hi))
        self.assertEqual(ids(self.query("--key", "k3")), want(lambda e: e["partitionKey"] == "k3"))
        self.assertEqual(ids(self.query("--where", '{"order":{"total":[{"numeric":[">",190]}]}}')),
                         want(lambda e: e["order"]["total"] > 190))
        self.assertEqual(len(self.query("--limit", "7")), 7)
        nothing = self.tarn("lake", "query", "--dir", self.lake, "--topic", "nothing").stdout
        self.assertEqual(nothing, "")
        # Each key's events come out in the order they were produced.
        last = {}
        for line in self.query():
            n = line["event"]["order"]["n"]
            self.assertGreater(n, last.get(line["key"], -1))
            last[line["key"]] = n

    def test_query_refuses_bad_input_with_a_clear_error(self):
        for args, said in ((["--from", "garbage"], "time \"garbage\""),
                           (["--where", "{bad"], "where: event pattern"),
                           (["--where", '{"order":{"total":[{"nope":1}]}}'], "nope")):
            proc = self.tarn("lake", "query", "--dir", self.lake, *args, check=False)
            self.assertNotEqual(proc.returncode, 0, args)
            self.assertIn(said, proc.stderr)
            self.assertEqual(proc.stdout, "")

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


class LakeVerifyTest(unittest.TestCase):
    """`tarn lake verify` on copies of a lake: clean, one byte changed, one file missing."""

    def test_verify_finds_damage_and_gaps(self):
        server = TarnServer(extra_args=["--default-partitions", "1", "--lake-file-age-ms", "100"],
                            name="lakeverify")
        try:
            server.start()
            lake = os.path.join(server.data_dir, "lake")
            for batch in range(4):  # four files: one per batch, each closed before the next
                produce(server.bootstrap, "bus", [event(batch * 10 + i) for i in range(10)])
                wait_until(lambda: archived_count(lake) == (batch + 1) * 10, 20, f"file {batch + 1}")
            server.stop()
            files = sorted(glob.glob(os.path.join(lake, "**", "bus+*.ndjson.zst"), recursive=True))
            self.assertEqual(len(files), 4)
            tarn = tarn_server.tarn_binary()
            clean = run([tarn, "lake", "verify", "--dir", lake], timeout_s=60)
            self.assertIn("bus/0: offsets 0 to 39", clean.stdout)

            damaged = os.path.join(server.work_dir, "damaged")
            shutil.copytree(lake, damaged)
            victim = files[2].replace(lake, damaged)
            with open(victim, "r+b") as f:
                f.seek(os.path.getsize(victim) // 2)
                byte = f.read(1)
                f.seek(-1, os.SEEK_CUR)
                f.write(bytes([byte[0] ^ 0x20]))
            proc = run([tarn, "lake", "verify", "--dir", damaged], timeout_s=60, check=False)
            self.assertEqual(proc.returncode, 1)
            self.assertIn(os.path.basename(victim), proc.stderr)

            gap = os.path.join(server.work_dir, "gap")
            shutil.copytree(lake, gap)
            missing = files[1].replace(lake, gap)
            os.remove(missing)
            os.remove(missing.replace(".ndjson.zst", ".manifest.json"))
            proc = run([tarn, "lake", "verify", "--dir", gap], timeout_s=60, check=False)
            self.assertEqual(proc.returncode, 1)
            self.assertIn("a gap: offsets 10 to 19", proc.stderr)
        finally:
            server.close()


class LakeCrashTest(unittest.TestCase):
    """SIGKILL at random points while producers write and the archiver closes files."""

    KILLS = 12

    def test_every_acknowledged_record_once_after_many_crashes(self):
        seed = int(os.environ.get("TARN_LAKE_SEED", random.randrange(1 << 30)))
        print(f"TARN_LAKE_SEED={seed}", file=sys.stderr)
        rng = random.Random(seed)
        server = TarnServer(extra_args=["--default-partitions", str(PARTITIONS), "--lake-file-age-ms", "50",
                                        "--lake-file-bytes", "4096"], name="lakecrash")
        acked = {}
        try:
            server.start()
            lake = os.path.join(server.data_dir, "lake")
            n = 0
            for kill in range(self.KILLS):
                stop = threading.Event()

                def write(start, bootstrap=server.bootstrap):
                    k = start
                    while not stop.is_set() and k < start + 5000:
                        produce(bootstrap, "bus", [event(k + i) for i in range(50)], acked, timeout_ms=2000,
                                quiet=True)
                        k += 50

                writer = threading.Thread(target=write, args=(n,))
                writer.start()
                time.sleep(rng.uniform(0.1, 1.5))
                server.kill()
                stop.set()
                writer.join(60)
                n += 5000
                server.start()
            # After the last restart: everything acknowledged gets archived, exactly once.
            wait_until(lambda: archived_count(lake) >= len(acked), 60, "the lake to catch up")
            lines = lake_records(lake)  # fails on a repeat
            for where, value in acked.items():
                self.assertIn(where, lines, f"acknowledged record {where} is not in the lake")
                self.assertEqual(lines[where]["event"], json.loads(value))
            by_partition = {}
            for _, m in manifests(lake):
                by_partition.setdefault(m["partition"], []).append(m)
            for partition, files in by_partition.items():
                files.sort(key=lambda m: m["start_position"])
                self.assertEqual(files[0]["start_position"], 0)
                for before, after in zip(files, files[1:]):
                    self.assertEqual(after["start_position"], before["end_position"], f"bus/{partition}")
            self.assertFalse(glob.glob(os.path.join(lake, "**", "*.tmp"), recursive=True))
            server.stop()
            verified = run([tarn_server.tarn_binary(), "lake", "verify", "--dir", lake], timeout_s=120)
            self.assertIn("ok", verified.stdout)
        except Exception:
            print(server.log_tail(), file=sys.stderr)
            raise
        finally:
            server.close()


if __name__ == "__main__":
    tarn_server.main()
