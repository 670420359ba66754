"""The event lake against docs/lake.md, clause by clause, with a real `tarn serve`, confluent-kafka
producers and third-party readers (zstdcat, jq, DuckDB):

  * LakeArchiveTest: what is produced to `bus` (3 partitions, three event types, events with and
    without their own time, some pretty-printed over several lines) and to a second topic is in
    the lake once each, laid out as the doc says, each manifest true to its file; odd records
    (keyless, text, binary, tombstone, repeated header) are stored as the doc says; `faults`
    goes to the fault lake and topics starting with `_` nowhere; `zstdcat | jq` and DuckDB read
    the files; `tarn lake query` selects exactly what its filters say and refuses bad input;
    `tarn lake verify` passes the lake and names a damaged file, a wrong count and a gap.
  * LakeSettingsTest: lake, lake-dir, fault-lake-dir, lake-topics (with a prefix) and
    lake-file-age-ms from tarn.yaml; a SIGTERM restart neither rewrites a file nor archives a
    record again.
  * LakeCrashTest: SIGKILLs the server at seeded random moments while a producer writes; at the
    end every acknowledged record is in the lake once, the lake is the log, files chain without
    gaps, no temporary file is left and `verify` passes. $TARN_LAKE_SEED changes the seed.

Run: /usr/bin/python3 tests/compat/test_lake.py --tarn build/release/src/app/tarn
"""

import collections
import datetime
import glob
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import (ServerTestCase, TarnServer, now_ms, run, run_node_test,  # noqa: E402
                         wait_until)

from confluent_kafka import (Consumer, KafkaError, KafkaException, Producer,  # noqa: E402
                             TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

PARTITIONS = 3
EVENTS = 3000
TYPES = ("order-placed", "order-cancelled", "payment-received")
KEYS = [f"customer-{k}" for k in range(40)]
# The events' own times: T0 plus a multiple of 30 minutes, far from the hub's (wall clock) times.
T0 = int(datetime.datetime(2023, 11, 14, tzinfo=datetime.timezone.utc).timestamp() * 1000)
HALF_HOUR_MS = 1_800_000
FILE_BYTES = 65536  # so that every partition of `bus` has several files
ARCHIVE_DEADLINE_S = 60
CLI_DEADLINE_S = 60
DATA_FILE = re.compile(r"^(?P<region>[^/]+)/(?P<yyyy>\d{4})/(?P<mm>\d{2})/(?P<dd>\d{2})/"
                       r"(?P<hh>\d{2})/"
                       r"(?P<topic>[^/+]+)\+(?P<partition>\d+)\+(?P<start>\d{20})\.ndjson\.zst$")


def make_event(n):
    """Event n of `bus`: its type, key and shape follow n. Every 25th has no time of its own."""
    kind = TYPES[n % 3 if n % 10 else 2]  # a third of each, payments a little more often
    key = KEYS[(n * 7) % len(KEYS)]
    event = {"id": f"e-{n}", "type": kind, "source": "test_lake", "partitionKey": key}
    if n % 25:
        event["timestamp"] = T0 + (n % 48) * HALF_HOUR_MS
    if kind == "payment-received":
        event["payment"] = {"amount": n % 500, "currency": "EUR"}
    else:
        event["order"] = {"total": (n * 13) % 250,
                          "items": [{"sku": f"s{n % 9}", "qty": n % 4 + 1}]}
        if kind == "order-cancelled":
            event["order"]["reason"] = "customer asked" if n % 2 else "out of stock"
    return event


def encode(event, n):
    """Every 7th event pretty-printed over several lines: the lake keeps it on one."""
    return json.dumps(event, indent=2 if n % 7 == 0 else None).encode()


class Produced:
    """What a producer got acknowledged: records by (topic, partition, offset)."""

    def __init__(self):
        self.records = {}  # (topic, partition, offset) -> dict(key, value, headers, timestamp)
        self.failed = []

    def on_delivery(self, headers=None):
        """A delivery callback for one record sent with `headers` (a delivery report does not
        carry them)."""
        def report(err, msg):
            if err is not None:
                self.failed.append(err)
                return
            self.records[(msg.topic(), msg.partition(), msg.offset())] = {
                "key": msg.key(), "value": msg.value(), "headers": headers or [],
                "timestamp": msg.timestamp()[1]}
        return report

    def ends(self, topic):
        return ends_of(self.records, topic)


def ends_of(records, topic):
    """{partition: the next offset after the last one} of `topic` among records' positions."""
    ends = {}
    for t, p, o in records:
        if t == topic:
            ends[p] = max(ends.get(p, 0), o + 1)
    return ends


def assert_files_chain(test, manifests, ends):
    """Each topic-partition's files start at position 0, each where the one before it ended, and
    the last ends at ends[(topic, partition)]; partitions whose end is past 0 have files."""
    by_partition = collections.defaultdict(list)
    for m in manifests:
        by_partition[(m["topic"], m["partition"])].append(m)
    test.assertEqual(set(by_partition), {tp for tp, end in ends.items() if end > 0})
    for tp, files in by_partition.items():
        files.sort(key=lambda m: m["start_position"])
        position = 0
        for m in files:
            test.assertEqual(m["start_position"], position, f"{tp}: a gap or an overlap")
            position = m["end_position"]
        test.assertEqual(position, ends[tp], f"{tp} ends where the log ends")


def producer(bootstrap, **extra):
    return Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                     "linger.ms": 5, **extra})


def create_topics(bootstrap, names, partitions):
    """Creates the topics with `partitions` partitions; one that exists (the server makes
    `bus`) must have that many."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(n, partitions, 1) for n in names],
                                  operation_timeout=10)
    for name, f in futures.items():
        try:
            f.result(timeout=20)
        except KafkaException as e:
            if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
            have = len(admin.list_topics(name, timeout=10).topics[name].partitions)
            assert have == partitions, f"{name} exists with {have} partitions, not {partitions}"


# -- reading a lake --------------------------------------------------------------------------


def data_files(root):
    """Paths of the data files under root, relative to it, sorted."""
    return sorted(os.path.relpath(p, root)
                  for p in glob.glob(os.path.join(root, "**", "*.ndjson.zst"), recursive=True))


def manifest_path(data_path):
    return data_path[:-len(".ndjson.zst")] + ".manifest.json"


def read_manifests(root):
    """{relative data file path: manifest} for every manifest under root."""
    manifests = {}
    for path in glob.glob(os.path.join(root, "**", "*.manifest.json"), recursive=True):
        with open(path) as f:
            manifest = json.load(f)
        data = path[:-len(".manifest.json")] + ".ndjson.zst"
        manifests[os.path.relpath(data, root)] = manifest
    return manifests


def lake_ends(root):
    """{(topic, partition): the largest end_position} of the manifests under root."""
    ends = {}
    for m in read_manifests(root).values():
        where = (m["topic"], m["partition"])
        ends[where] = max(ends.get(where, 0), m["end_position"])
    return ends


def caught_up(root, topic, ends):
    """True when the manifests under root reach `ends` ({partition: end}) for topic."""
    have = lake_ends(root)
    return all(have.get((topic, p), 0) >= end for p, end in ends.items())


def decompress(path):
    """The bytes of a data file, decompressed by the zstd command-line tool."""
    proc = subprocess.run(["zstdcat", path], capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError(f"zstdcat {path} exited with {proc.returncode}: "
                             f"{proc.stderr.decode(errors='replace')}")
    return proc.stdout


def read_lines(root, rel):
    """The lines of one data file: [(text, parsed)], read with zstdcat."""
    raw = decompress(os.path.join(root, rel))
    if raw and not raw.endswith(b"\n"):
        raise AssertionError(f"{rel}: the last line has no line break")
    return [(line, json.loads(line)) for line in raw.decode().split("\n")[:-1]]


def read_lake(root):
    """{relative data file: [(text, parsed line)]} of every data file under root."""
    return {rel: read_lines(root, rel) for rel in data_files(root)}


def query_time(line):
    """The time `tarn lake query` files a line under: the event's own, else the record's."""
    event = line.get("event")
    if isinstance(event, dict) and isinstance(event.get("timestamp"), int):
        return event["timestamp"]
    return line["timestamp"]


def event_type(line):
    event = line.get("event")
    return event.get("type") if isinstance(event, dict) else None


def tarn(*args, check=False):
    return run([tarn_server.tarn_binary(), *args], timeout_s=CLI_DEADLINE_S, check=check)


def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class LakeArchiveTest(ServerTestCase):
    """One server; setUpClass produces everything and waits until the lake holds it."""

    SERVER_ARGS = ("--default-partitions", str(PARTITIONS), "--lake-file-age-ms", "500",
                   "--lake-file-bytes", str(FILE_BYTES))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.produce_everything()
        except Exception:
            sys.stderr.write(cls.server.log_tail() + "\n")
            cls.tearDownClass()
            raise

    @classmethod
    def produce_everything(cls):
        bootstrap = cls.server.bootstrap
        cls.lake = os.path.join(cls.server.data_dir, "lake")  # the default --lake-dir
        cls.fault_lake = os.path.join(cls.server.data_dir, "fault-lake")
        cls.started_ms = now_ms()
        create_topics(bootstrap, ["bus", "_scratch", "faults"], PARTITIONS)
        produced = Produced()
        p = producer(bootstrap)

        # Internal topics first: by the time `audit` (created last) is archived, the archiver
        # has seen them.
        for n in range(20):
            p.produce("_scratch", key=b"k", value=json.dumps({"n": n}).encode(),
                      on_delivery=produced.on_delivery())
        for n in range(EVENTS):
            event = make_event(n)
            headers = [("ce_type", event["type"].encode()), ("ce_id", event["id"].encode()),
                       ("ce_source", b"test_lake"), ("ce_specversion", b"1.0")]
            p.produce("bus", key=event["partitionKey"].encode(), value=encode(event, n),
                      headers=headers, on_delivery=produced.on_delivery(headers))
            if n % 500 == 0:
                p.poll(0)
        for n in range(30):
            fault = {"id": f"f-{n}", "type": "fault", "partitionKey": f"customer-{n % 3}",
                     "timestamp": T0 + n, "err": {"name": "WebhookUnavailable"},
                     "event": make_event(n)}
            p.produce("faults", key=fault["partitionKey"].encode(),
                      value=json.dumps(fault).encode(), on_delivery=produced.on_delivery())
        cls.produce_odd_records(p, produced)
        create_topics(bootstrap, ["audit"], 1)
        for n in range(200):
            event = {"id": f"a-{n}", "type": "order-audited", "partitionKey": "auditor",
                     "timestamp": T0 + n * 60_000, "order": {"total": 1000 + n}}
            p.produce("audit", key=b"auditor", value=json.dumps(event).encode(),
                      on_delivery=produced.on_delivery())
        remaining = p.flush(30)
        assert remaining == 0, f"{remaining} records not acknowledged within 30 s"
        assert not produced.failed, f"delivery failed: {produced.failed[:5]}"
        cls.produced = produced.records
        cls.lake_topics = ("bus", "audit", "odd")

        for topic in cls.lake_topics:
            wait_until(lambda: caught_up(cls.lake, topic, produced.ends(topic)),
                       ARCHIVE_DEADLINE_S, f"the lake to hold every record of {topic}",
                       interval_s=0.1)
        wait_until(lambda: caught_up(cls.fault_lake, "faults", produced.ends("faults")),
                   ARCHIVE_DEADLINE_S, "the fault lake to hold every fault", interval_s=0.1)
        cls.files = read_lake(cls.lake)
        cls.manifests = read_manifests(cls.lake)
        cls.lines = {}  # (topic, partition, offset) -> [(text, parsed, file)], every occurrence
        for rel, lines in cls.files.items():
            for text, line in lines:
                where = (line["topic"], line["partition"], line["offset"])
                cls.lines.setdefault(where, []).append((text, line, rel))

    @classmethod
    def produce_odd_records(cls, p, produced):
        """Records of `odd` (one partition) in the order ODD_RECORDS lists them."""
        create_topics(cls.server.bootstrap, ["odd"], 1)
        for key, value, headers in cls.ODD_RECORDS:
            p.produce("odd", key=key, value=value, headers=headers,
                      on_delivery=produced.on_delivery(headers))

    # (key, value, headers) and, below in test_odd_records, the line each must give.
    ODD_RECORDS = [
        (None, b'{"id":"k-1","type":"keyless","n":1}', None),
        (b"text", "plain text, not JSON \u00e9".encode(), [("h", b"only")]),
        (b"binary", b"\xff\xfe\x00\x01", None),
        (b"\xff\x01", b'{"id":"k-2","type":"binary-key"}', None),
        (b"gone", None, None),
        (b"repeat", b'{"id":"k-3","type":"repeated-header"}', [("h", b"first"), ("h", b"second")]),
        (b"pretty", b'{\n  "id": "k-4",\n  "type": "pretty",\n  "list": [\n    1,\n    2\n  ]\n}\n',
         None),
    ]

    # -- helpers ------------------------------------------------------------------------------

    def produced_in(self, *topics):
        return {w: r for w, r in self.produced.items() if w[0] in topics}

    def event_of(self, where):
        return json.loads(self.produced[where]["value"])

    def query(self, *args):
        """Runs `tarn lake query --dir <lake> ARGS`; returns the output lines, checked against
        the stored lines (byte for byte) and for offset order per topic-partition."""
        proc = tarn("lake", "query", "--dir", self.lake, *args)
        self.assertEqual(proc.returncode, 0, f"tarn lake query {args}: {proc.stderr}")
        out = proc.stdout.split("\n")
        self.assertEqual(out[-1], "", "the output ends with a line break")
        last = {}
        positions = []
        for text in out[:-1]:
            line = json.loads(text)
            where = (line["topic"], line["partition"], line["offset"])
            self.assertIn(where, self.lines, f"query printed a line not in the lake: {text}")
            self.assertEqual(text, self.lines[where][0][0], "query prints lines as they are stored")
            tp = where[:2]
            self.assertGreater(where[2], last.get(tp, -1), f"{tp}: offsets out of order")
            last[tp] = where[2]
            positions.append(where)
        return positions

    def view(self, where):
        """What a query sees of the produced record at `where`: {"event" (a JSON object, else
        None), "key" (text, else None), "timestamp" (the record's)}."""
        record = self.produced[where]
        try:
            event = json.loads(record["value"])
        except (TypeError, ValueError):
            event = None
        try:
            key = record["key"].decode()
        except (AttributeError, UnicodeDecodeError):
            key = None
        return {"event": event if isinstance(event, dict) else None, "key": key,
                "timestamp": record["timestamp"]}

    def expect(self, predicate):
        """Sorted positions of the produced records of the lake's topics whose view (above)
        satisfies predicate."""
        return sorted(w for w in self.produced_in(*self.lake_topics) if predicate(self.view(w)))

    # -- files and lines ----------------------------------------------------------------------

    def test_layout_of_files_and_manifests(self):
        self.assertTrue(self.files, "no data files")
        for rel in self.files:
            m = DATA_FILE.match(rel)
            self.assertIsNotNone(m, f"{rel} is not <region>/<yyyy>/<mm>/<dd>/<hh>/"
                                    "<topic>+<partition>+<20 digits>.ndjson.zst")
            self.assertEqual(m["region"], "local")
            self.assertTrue(os.path.isfile(os.path.join(self.lake, manifest_path(rel))),
                            f"{rel} has no manifest beside it")
            hour = f"{m['yyyy']}/{m['mm']}/{m['dd']}/{m['hh']}"
            for _, line in self.files[rel]:
                ts = datetime.datetime.fromtimestamp(line["timestamp"] / 1000,
                                                     datetime.timezone.utc)
                self.assertEqual(ts.strftime("%Y/%m/%d/%H"), hour,
                                 f"{rel}: a line's hub time is outside the file's hour")
                self.assertEqual((line["topic"], line["partition"]),
                                 (m["topic"], int(m["partition"])), rel)
        self.assertEqual(set(self.manifests), set(self.files), "a manifest without a data file")
        leftovers = [p for p in glob.glob(os.path.join(self.lake, "**", "*"), recursive=True)
                     if os.path.isfile(p) and not p.endswith((".ndjson.zst", ".manifest.json"))]
        self.assertEqual(leftovers, [], "files other than data files and manifests")
        # The byte limit made several files per partition of `bus`, and none much past it.
        per_partition = collections.Counter((m["topic"], m["partition"])
                                            for m in self.manifests.values())
        for p in range(PARTITIONS):
            self.assertGreaterEqual(per_partition[("bus", p)], 3, f"bus/{p}: {per_partition}")
        for rel, m in self.manifests.items():
            self.assertLess(m["raw_bytes"], FILE_BYTES + 4096,
                            f"{rel} went on past --lake-file-bytes")

    def test_every_record_once_with_its_key_headers_and_event(self):
        expected = self.produced_in("bus", "audit")
        for where in expected:
            self.assertEqual(len(self.lines.get(where, [])), 1,
                             f"{where} is in the lake {len(self.lines.get(where, []))} times")
        lake_positions = {w for w in self.lines if w[0] in ("bus", "audit")}
        self.assertEqual(lake_positions, set(expected), "the lake holds records nobody produced")
        for where, record in expected.items():
            text, line, rel = self.lines[where][0]
            self.assertNotIn("\n", text)
            self.assertEqual(line["event"], json.loads(record["value"]), where)
            self.assertEqual(line["key"], record["key"].decode(), where)
            self.assertEqual(line["timestamp"], record["timestamp"], where)
            self.assertEqual(line.get("headers", {}),
                             {k: v.decode() for k, v in record["headers"]}, where)
            if where[0] == "bus":
                self.assertEqual(line["headers"]["ce_type"], line["event"]["type"], where)
                self.assertEqual(line["headers"]["ce_id"], line["event"]["id"], where)
            for absent in ("value", "value_base64", "tombstone", "key_base64"):
                self.assertNotIn(absent, line, where)

    def test_odd_records_are_stored_as_the_doc_says(self):
        lines = [self.lines[("odd", 0, o)][0][1] for o in range(len(self.ODD_RECORDS))]
        keyless, text, binary, binary_key, tombstone, repeated, pretty = lines
        self.assertNotIn("key", keyless)
        self.assertNotIn("key_base64", keyless)
        self.assertNotIn("headers", keyless, "no headers: no `headers`")
        self.assertEqual(keyless["event"], {"id": "k-1", "type": "keyless", "n": 1})
        self.assertEqual(text["key"], "text")
        self.assertEqual(text["value"], "plain text, not JSON \u00e9")
        self.assertNotIn("event", text)
        self.assertEqual(text["headers"], {"h": "only"})
        self.assertEqual(binary["value_base64"], "//4AAQ==")
        self.assertNotIn("value", binary)
        self.assertEqual(binary_key["key_base64"], "/wE=")
        self.assertNotIn("key", binary_key)
        self.assertEqual(binary_key["event"]["type"], "binary-key")
        self.assertEqual(tombstone["key"], "gone")
        self.assertIs(tombstone.get("tombstone"), True)
        for field in ("event", "value", "value_base64"):
            self.assertNotIn(field, tombstone)
        self.assertEqual(repeated["headers"], {"h": "first"},
                         "a repeated name keeps its first value")
        self.assertEqual(pretty["event"], {"id": "k-4", "type": "pretty", "list": [1, 2]})

    def test_manifests_are_true_to_their_files(self):
        for rel, lines in self.files.items():
            m = self.manifests[rel]
            parsed = [line for _, line in lines]
            offsets = [line["offset"] for line in parsed]
            path = os.path.join(self.lake, rel)
            with open(path, "rb") as f:
                compressed = f.read()
            name = DATA_FILE.match(rel)
            with self.subTest(file=rel):
                self.assertEqual(m["format"], 1)
                self.assertEqual(m["file"], os.path.basename(rel))
                self.assertEqual(m["region"], name["region"])
                self.assertEqual(m["topic"], name["topic"])
                self.assertEqual(m["partition"], int(name["partition"]))
                self.assertEqual(m["start_position"], int(name["start"]),
                                 "the name carries the start position")
                self.assertTrue(parsed, "an empty file")
                self.assertEqual(offsets, sorted(set(offsets)), "offsets rise inside a file")
                self.assertEqual(m["events"], len(parsed))
                self.assertEqual(m["first_offset"], offsets[0])
                self.assertEqual(m["last_offset"], offsets[-1])
                # No compaction here: a file is a dense range of offsets.
                self.assertEqual(offsets, list(range(m["start_position"], m["end_position"])))
                stamps = [line["timestamp"] for line in parsed]
                self.assertEqual((m["min_timestamp"], m["max_timestamp"]),
                                 (min(stamps), max(stamps)))
                times = [query_time(line) for line in parsed]
                self.assertEqual((m["min_event_time"], m["max_event_time"]),
                                 (min(times), max(times)))
                types = collections.Counter(event_type(line) for line in parsed
                                            if event_type(line) is not None)
                self.assertEqual(m["types"], dict(types))
                self.assertEqual(m["bytes"], len(compressed))
                self.assertEqual(m["raw_bytes"], len(decompress(path)))
                self.assertEqual(m["sha256"], hashlib.sha256(compressed).hexdigest())
                self.assertGreaterEqual(m["created_ms"], self.started_ms - 60_000)
                self.assertLessEqual(m["created_ms"], now_ms() + 60_000)

    def test_files_of_a_partition_chain_from_its_start_to_its_end(self):
        ends = {(topic, p): end for topic in self.lake_topics
                for p, end in ends_of(self.produced, topic).items()}
        assert_files_chain(self, self.manifests.values(), ends)

    def test_faults_go_to_the_fault_lake_and_internal_topics_nowhere(self):
        fault_files = data_files(self.fault_lake)
        self.assertTrue(fault_files)
        for rel in fault_files:
            self.assertRegex(rel, DATA_FILE)
            self.assertEqual(DATA_FILE.match(rel)["topic"], "faults")
        faults = read_lake(self.fault_lake)
        positions = collections.Counter((line["topic"], line["partition"], line["offset"])
                                        for lines in faults.values() for _, line in lines)
        self.assertEqual(dict(positions), {w: 1 for w in self.produced_in("faults")})
        for rel, lines in faults.items():
            for _, line in lines:
                where = (line["topic"], line["partition"], line["offset"])
                self.assertEqual(line["event"], self.event_of(where))
        topics = {DATA_FILE.match(rel)["topic"] for rel in self.files}
        self.assertEqual(topics, set(self.lake_topics),
                         "the main lake holds neither faults nor topics starting with _")
        self.assertEqual(verify(self.fault_lake).returncode, 0)

    def test_zstdcat_and_jq_read_the_files(self):
        expected = collections.Counter(self.event_of(w)["type"] for w in self.produced_in("bus"))
        for kind in TYPES:
            pipeline = (f"set -o pipefail; "
                        f"zstdcat {shlex.quote(self.lake)}/local/*/*/*/*/bus+*.ndjson.zst"
                        f" | jq -c 'select(.event.type == \"{kind}\")'")
            proc = run(["bash", "-c", pipeline], timeout_s=CLI_DEADLINE_S)
            out = proc.stdout.splitlines()
            self.assertEqual(len(out), expected[kind], kind)
            self.assertEqual({json.loads(line)["event"]["type"] for line in out}, {kind})

    def test_duckdb_reads_the_files_as_they_are(self):
        bus = [self.event_of(w) for w in self.produced_in("bus")]
        expect = {"lines": len(self.produced_in(*self.lake_topics)),
                  "types": dict(collections.Counter(e["type"] for e in bus)),
                  "order_total_sum": sum(e["order"]["total"] for e in bus if "order" in e)}
        expect_path = os.path.join(self.server.work_dir, "duckdb-expect.json")
        with open(expect_path, "w") as f:
            json.dump(expect, f)
        run_node_test(self, "lake_duckdb_test.mjs", "@duckdb/node-api",
                      dict(TARN_LAKE_DIR=self.lake, TARN_LAKE_EXPECT=expect_path), 120)

    # -- tarn lake verify ---------------------------------------------------------------------

    def test_verify_passes_the_lake(self):
        proc = verify(self.lake)
        self.assertEqual(proc.returncode, 0, f"{proc.stdout}\n{proc.stderr}")

    def copy_of_lake(self):
        root = tempfile.mkdtemp(prefix="lake-copy-", dir=self.server.work_dir)
        copy = os.path.join(root, "lake")
        shutil.copytree(self.lake, copy)
        return copy

    def bus_files(self, partition):
        """Relative paths of bus/partition's data files in position order."""
        return sorted((rel for rel, m in self.manifests.items()
                       if m["topic"] == "bus" and m["partition"] == partition),
                      key=lambda rel: self.manifests[rel]["start_position"])

    def test_verify_names_a_file_with_a_flipped_byte(self):
        copy = self.copy_of_lake()
        rel = self.bus_files(1)[1]
        path = os.path.join(copy, rel)
        with open(path, "r+b") as f:
            size = os.fstat(f.fileno()).st_size
            f.seek(size // 2)
            byte = f.read(1)
            f.seek(size // 2)
            f.write(bytes([byte[0] ^ 0x20]))
        proc = verify(copy)
        self.assertEqual(proc.returncode, 1, f"{proc.stdout}\n{proc.stderr}")
        self.assertIn(os.path.basename(rel), proc.stdout + proc.stderr)

    def test_verify_names_a_manifest_whose_count_is_wrong(self):
        copy = self.copy_of_lake()
        rel = self.bus_files(2)[0]
        path = os.path.join(copy, manifest_path(rel))
        with open(path) as f:
            m = json.load(f)
        m["events"] += 1
        with open(path, "w") as f:
            json.dump(m, f)
        proc = verify(copy)
        self.assertEqual(proc.returncode, 1, f"{proc.stdout}\n{proc.stderr}")
        self.assertIn(os.path.basename(rel), proc.stdout + proc.stderr)

    def test_verify_reports_a_gap(self):
        copy = self.copy_of_lake()
        files = self.bus_files(0)
        self.assertGreaterEqual(len(files), 3)
        middle = files[len(files) // 2]
        os.remove(os.path.join(copy, middle))
        os.remove(os.path.join(copy, manifest_path(middle)))
        proc = verify(copy)
        output = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 1, output)
        self.assertIn("gap", output.lower())
        self.assertIn("bus", output)

    # -- tarn lake query ----------------------------------------------------------------------

    def test_query_without_filters_prints_the_whole_lake(self):
        self.assertEqual(sorted(self.query()), sorted(self.produced_in(*self.lake_topics)))

    def test_query_by_exact_type(self):
        got = self.query("--type", "order-placed")
        self.assertEqual(sorted(got), self.expect(lambda r: event_type(r) == "order-placed"))

    def test_query_by_type_prefix(self):
        got = self.query("--type", "order-*")
        want = self.expect(lambda r: (event_type(r) or "").startswith("order-"))
        self.assertEqual(sorted(got), want)
        self.assertEqual({event_type(self.view(w)) for w in want},
                         {"order-placed", "order-cancelled", "order-audited"})

    def test_query_by_repeated_types(self):
        got = self.query("--type", "order-cancelled", "--type", "payment-*")
        self.assertEqual(sorted(got), self.expect(
            lambda r: event_type(r) in ("order-cancelled", "payment-received")))

    def test_query_by_time_in_epoch_ms_and_iso_8601(self):
        start, end = T0 + 10 * HALF_HOUR_MS, T0 + 20 * HALF_HOUR_MS
        want = self.expect(lambda r: start <= query_time(r) < end)
        self.assertIn(start, {query_time(self.view(w)) for w in want},
                      "the range's start is an event's time: --from is inclusive")
        self.assertIn(end, {query_time(self.view(w)) for w in self.produced},
                      "the range's end is an event's time: --to is exclusive")
        self.assertEqual(sorted(self.query("--from", str(start), "--to", str(end))), want)
        self.assertEqual(sorted(self.query("--from", iso(start), "--to", iso(end))), want)
        self.assertEqual(sorted(self.query("--from", iso(start), "--to", str(end))), want)
        # A date alone is its midnight, UTC.
        day = T0 + 24 * 3_600_000
        self.assertEqual(iso(day)[11:], "00:00:00Z")
        self.assertEqual(sorted(self.query("--from", iso(day)[:10])),
                         self.expect(lambda r: query_time(r) >= day))
        self.assertEqual(sorted(self.query("--to", iso(day)[:10])),
                         self.expect(lambda r: query_time(r) < day))

    def test_query_by_time_uses_the_records_time_when_the_event_has_none(self):
        got = self.query("--from", str(self.started_ms - 60_000))
        want = self.expect(lambda r: "timestamp" not in (r["event"] or {}))
        self.assertEqual(sorted(got), want)
        self.assertEqual(len([w for w in want if w[0] == "bus"]), EVENTS // 25)

    def test_query_by_key_and_topic(self):
        key = KEYS[3]
        want = self.expect(lambda r: r["key"] == key)
        self.assertEqual(sorted(self.query("--key", key)), want)
        self.assertEqual(len({w[1] for w in want}), 1, "one key, one partition")
        self.assertEqual(sorted(self.query("--topic", "audit")), sorted(self.produced_in("audit")))
        self.assertEqual(sorted(self.query("--topic", "audit", "--topic", "odd")),
                         sorted(self.produced_in("audit", "odd")))
        self.assertEqual(self.query("--topic", "no-such-topic"), [])

    def test_query_by_event_pattern(self):
        pattern = '{"order":{"total":[{"numeric":[">",100]}]}}'
        want = self.expect(lambda r: (r["event"] or {}).get("order", {}).get("total", 0) > 100)
        self.assertEqual(sorted(self.query("--where", pattern)), want)
        both = self.query("--where", pattern, "--type", "order-cancelled", "--topic", "bus")
        self.assertEqual(sorted(both), [w for w in want if w[0] == "bus" and
                                        event_type(self.view(w)) == "order-cancelled"])

    def test_query_limit(self):
        want = set(self.expect(lambda r: event_type(r) == "payment-received"))
        got = self.query("--type", "payment-received", "--limit", "17")
        self.assertEqual(len(got), 17)
        self.assertLessEqual(set(got), want)
        self.assertEqual(len(self.query("--topic", "audit", "--limit", "100000")), 200)

    def test_query_refuses_bad_input(self):
        for args in (["--from", "garbage"], ["--to", "2026-13-45"], ["--where", "{bad"],
                     ["--where", '{"order":{"total":[{"numeric":[">"]}]}}'],
                     ["--limit", "0"], ["--limit", "many"]):
            with self.subTest(args=args):
                proc = tarn("lake", "query", "--dir", self.lake, *args)
                self.assertNotEqual(proc.returncode, 0)
                self.assertEqual(proc.stdout, "")
                self.assertTrue(proc.stderr.strip(), "no message on stderr")
                self.assertLess(len(proc.stderr), 2000, proc.stderr)

    def test_query_names_the_bad_value(self):
        proc = tarn("lake", "query", "--dir", self.lake, "--from", "garbage")
        self.assertIn("garbage", proc.stderr)
        proc = tarn("lake", "query", "--dir", self.lake, "--where", "{bad")
        self.assertIn("where", proc.stderr)


def verify(root):
    return tarn("lake", "verify", "--dir", root)


class LakeSettingsTest(unittest.TestCase):
    """The lake's settings from tarn.yaml, and a clean restart that resumes where the files end."""

    def test_tarn_yaml_settings_and_a_restart_that_rewrites_nothing(self):
        server = TarnServer(name="lakesettings")
        self.addCleanup(server.close)
        lake = os.path.join(server.work_dir, "yaml-lake")
        fault_lake = os.path.join(server.work_dir, "yaml-fault-lake")
        config = os.path.join(server.work_dir, "lake.yaml")
        with open(config, "w") as f:
            f.write(f"lake: true\nlake-dir: {lake}\nfault-lake-dir: {fault_lake}\n"
                    "lake-topics: orders-*,faults\nlake-file-age-ms: 300\n"
                    "default-partitions: 2\n")
        server.extra_args = ["--config", config]
        server.start()
        create_topics(server.bootstrap, ["orders-eu", "orders-us", "faults", "payments"], 2)

        def produce(count, first):
            produced = Produced()
            p = producer(server.bootstrap)
            for n in range(first, first + count):
                event = make_event(n)
                for topic in ("orders-eu", "orders-us", "payments", "faults"):
                    p.produce(topic, key=event["partitionKey"].encode(),
                              value=json.dumps(event).encode(), on_delivery=produced.on_delivery())
            self.assertEqual(p.flush(30), 0)
            self.assertEqual(produced.failed, [])
            return produced

        def wait_for(produced):
            for root, topic in ((lake, "orders-eu"), (lake, "orders-us"),
                                (fault_lake, "faults")):
                ends = ends_of(produced, topic)
                wait_until(lambda: caught_up(root, topic, ends), ARCHIVE_DEADLINE_S,
                           f"{topic} in {root}", interval_s=0.1)

        first = produce(300, 0).records
        wait_for(first)
        before = {rel: sha256_of(os.path.join(lake, rel)) for rel in data_files(lake)}
        self.assertEqual({DATA_FILE.match(rel)["topic"] for rel in before},
                         {"orders-eu", "orders-us"}, "only the topics lake-topics names")
        self.assertEqual({DATA_FILE.match(rel)["topic"] for rel in data_files(fault_lake)},
                         {"faults"})
        self.assertFalse(os.path.exists(os.path.join(server.data_dir, "lake")),
                         "lake-dir from tarn.yaml replaces <data-dir>/lake")

        self.assertEqual(server.stop(), 0, server.log_tail())
        server.start()
        second = produce(300, 300).records
        wait_for({**first, **second})
        after = {rel: sha256_of(os.path.join(lake, rel)) for rel in data_files(lake)}
        self.assertEqual({rel: after.get(rel) for rel in before}, before,
                         "a restart deleted or rewrote a lake file")
        positions = collections.Counter()
        for rel in after:
            for _, line in read_lines(lake, rel):
                positions[(line["topic"], line["partition"], line["offset"])] += 1
        want = {w for w in {**first, **second} if w[0].startswith("orders-")}
        self.assertEqual(set(positions), want)
        self.assertEqual({w: n for w, n in positions.items() if n > 1}, {},
                         "records archived again after the restart")
        proc = verify(lake)
        self.assertEqual(proc.returncode, 0, f"{proc.stdout}\n{proc.stderr}")


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class LakeCrashTest(unittest.TestCase):
    """SIGKILLs at seeded random moments while a producer writes and the archiver closes files
    every 200 ms or 16 KiB, so that kills land inside file writes and recoveries."""

    KILLS = 12
    SEED = 20261122

    def test_every_acknowledged_record_once_after_sigkills(self):
        seed = int(os.environ.get("TARN_LAKE_SEED", self.SEED))
        print(f"seed {seed} (TARN_LAKE_SEED={seed} replays the kill schedule)")
        rng = random.Random(seed)
        server = TarnServer(name="lakecrash", extra_args=[
            "--default-partitions", str(PARTITIONS), "--lake-file-age-ms", "200",
            "--lake-file-bytes", "16384"])
        lake = os.path.join(server.work_dir, "the-lake")
        server.extra_args += ["--lake-dir", lake]
        self.addCleanup(server.close)
        server.start()
        create_topics(server.bootstrap, ["bus"], PARTITIONS)

        produced = Produced()
        stop = threading.Event()
        errors = []
        # Idempotent, so that each event is in the log once even when a crash swallowed an
        # acknowledgement (test_crash.py checks the broker's side of that).
        # A short reconnect backoff keeps it writing soon after each restart.
        writer = producer(server.bootstrap, **{"message.timeout.ms": 60000, "log_level": 0,
                                               "reconnect.backoff.ms": 20,
                                               "reconnect.backoff.max.ms": 200})

        def produce():
            try:
                n = 0
                while not stop.is_set():
                    for _ in range(50):
                        event = make_event(n)
                        writer.produce("bus", key=event["partitionKey"].encode(),
                                       value=json.dumps(event).encode(),
                                       on_delivery=produced.on_delivery())
                        n += 1
                    writer.poll(0.02)
                    while len(writer) > 5000 and not stop.is_set():
                        writer.poll(0.05)
                writer.flush(60)
            except Exception as e:  # noqa: BLE001 - reported by the test below
                errors.append(e)

        thread = threading.Thread(target=produce, daemon=True)
        thread.start()
        try:
            wait_until(lambda: errors or produced.records, 30, "the first acknowledgements")
            for kill in range(self.KILLS):
                time.sleep(rng.uniform(0.1, 1.5))  # the kill schedule, not a wait for a condition
                before = len(produced.records)
                server.restart(same_port=True, crash=True)
                print(f"kill {kill + 1}: after {before} acknowledged records, "
                      f"{len(data_files(lake))} lake files")
            acked_before_end = len(produced.records)
            wait_until(lambda: len(produced.records) > acked_before_end + 500, 60,
                       "acknowledgements after the last restart", interval_s=0.05)
        finally:
            stop.set()
            thread.join(90)
        self.assertFalse(thread.is_alive(), "the producer did not finish flushing")
        self.assertEqual(errors, [])
        self.assertEqual(len(writer), 0, "records left unacknowledged after the flush")
        print(f"{len(produced.records)} acknowledged, {len(produced.failed)} failed")

        log = read_log(server.bootstrap, "bus")
        high = {p: len(records) for p, records in log.items()}
        try:
            wait_until(lambda: caught_up(lake, "bus", high), ARCHIVE_DEADLINE_S,
                       f"the lake to reach the high watermarks {high}", interval_s=0.1)
        except TimeoutError as e:
            self.fail(f"{e}; the lake ends at {lake_ends(lake)}\n{server.log_tail()}")
        self.assertEqual(server.stop(), 0, server.log_tail())

        files = read_lake(lake)
        occurrences = collections.defaultdict(list)
        for rel, lines in files.items():
            for _, line in lines:
                occurrences[(line["partition"], line["offset"])].append((rel, line))
        twice = {w: [rel for rel, _ in o] for w, o in occurrences.items() if len(o) > 1}
        self.assertEqual(twice, {}, "offsets in the lake more than once")
        ids = collections.Counter(o[0][1]["event"]["id"] for o in occurrences.values())
        for (t, p, o), record in produced.records.items():
            self.assertIn((p, o), occurrences, f"acknowledged {p}/{o} is not in the lake")
            line = occurrences[(p, o)][0][1]
            self.assertEqual(line["event"], json.loads(record["value"]), f"{p}/{o}")
            self.assertEqual(ids[line["event"]["id"]], 1, f"{line['event']['id']} in the lake "
                             f"{ids[line['event']['id']]} times")
        # The lake mirrors the log: every record of it, nothing else.
        self.assertEqual(set(occurrences), {(p, o) for p in log for o in range(high[p])})
        for (p, o), [(rel, line)] in occurrences.items():
            self.assertEqual(line["event"], json.loads(log[p][o]), f"{p}/{o} in {rel}")

        manifests = read_manifests(lake)
        self.assertEqual(set(manifests), set(files))
        assert_files_chain(self, manifests.values(), {("bus", p): end for p, end in high.items()})
        leftovers = glob.glob(os.path.join(lake, "**", "*.tmp"), recursive=True)
        self.assertEqual(leftovers, [], "temporary files left in the lake")
        proc = verify(lake)
        self.assertEqual(proc.returncode, 0, f"{proc.stdout}\n{proc.stderr}")
        print(f"lake: {len(files)} files, {len(occurrences)} records, high watermarks {high}")


def read_log(bootstrap, topic):
    """{partition: [value, ...]} of every record from offset 0 to the high watermark."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"lake-spec-{os.getpid()}",
                         "enable.auto.commit": False, "auto.offset.reset": "error"})
    try:
        high = {}
        for p in range(PARTITIONS):
            low, high[p] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            assert low == 0, f"{topic}/{p} starts at {low}"
        consumer.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
        log = {p: [] for p in range(PARTITIONS)}
        deadline = time.monotonic() + 60
        while any(len(log[p]) < high[p] for p in log):
            if time.monotonic() > deadline:
                raise AssertionError(f"read {[len(v) for v in log.values()]} of {high}")
            for msg in consumer.consume(num_messages=5000, timeout=0.2):
                if msg.error():
                    raise AssertionError(str(msg.error()))
                p = msg.partition()
                if msg.offset() < high[p]:
                    assert msg.offset() == len(log[p]), f"{topic}/{p}: offsets not dense"
                    log[p].append(msg.value())
        return log
    finally:
        consumer.close()


if __name__ == "__main__":
    tarn_server.main()
