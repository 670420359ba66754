"""`tarn serve --broker off`: HTTP only, over an external Kafka cluster. The cluster here is a
second `tarn serve` with its embedded broker; the "front" servers run with `--broker off
--brokers <the cluster's Kafka address>` and open no data directory, Kafka listener or group
coordinator. Checked: schemas registered through a front's registry REST API are records in the
cluster's `_schemas` topic (read with confluent-kafka); a restarted front and a second front
replay them; registry errors keep Confluent's codes; events published to a front over HTTP land
on the cluster's `bus` with the partitionKey as key, in the partition Kafka's Java client picks,
and refused events write nothing; a front's long poll wakes, and its server-sent event stream
follows, when a Kafka client produces to the cluster; the front's router reads the cluster's bus,
routes to a channel topic there and commits its lane's position as the cluster's consumer group
offsets; and start-up fails clearly when the cluster cannot be reached or --brokers is missing.

Run: /usr/bin/python3 tests/compat/test_external_cluster.py --tarn build/release/src/app/tarn
"""

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import ServerTestCase, TarnServer, tarn_binary, wait_until  # noqa: E402
from test_confluent_kafka import client_conf, read_all  # noqa: E402
from test_schema_registry import ORDER_BROKEN, ORDER_V1, ORDER_V2, schema_body  # noqa: E402

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402

PARTITIONS = 3
REGISTRY_TYPE = "application/vnd.schemaregistry.v1+json"

PAYMENT_SCHEMA = {
    "type": "object",
    "required": ["payment"],
    "properties": {"payment": {"type": "object", "required": ["amount"],
                               "properties": {"amount": {"type": "number", "minimum": 0}}}},
}


def call(server, method, path, body=None, content_type="application/json", timeout_s=30):
    """Returns (status, parsed JSON body)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": content_type} if data is not None else {}
    request = urllib.request.Request(f"http://127.0.0.1:{server.http_port}{path}", data=data,
                                     method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def payment(event_id, key, amount=1.0):
    return {"id": event_id, "type": "payment-taken", "timestamp": 1700000000000,
            "partitionKey": key, "payment": {"amount": amount}}


class ExternalClusterTest(ServerTestCase):
    """`server` is the cluster; `front` serves HTTP over it with --broker off."""

    SERVER_ARGS = ("--default-partitions", str(PARTITIONS))
    front = None

    @classmethod
    def front_args(cls):
        return ("--broker", "off", "--brokers", cls.server.bootstrap)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.front = TarnServer(extra_args=cls.front_args(), name="front", kafka=False)
        try:
            cls.front.start()
        except Exception:
            cls.front.close()
            cls.server.close()
            raise

    @classmethod
    def tearDownClass(cls):
        was_running = cls.front.running()
        code = cls.front.stop()
        log = cls.front.log_tail()
        left = os.listdir(cls.front.data_dir)
        cls.front.close()
        super().tearDownClass()
        if not was_running or code != 0:
            raise AssertionError(f"the front server did not exit 0 (exit {code})\n{log}")
        if left:
            raise AssertionError(f"--broker off wrote into its data directory: {left}")

    def run(self, result=None):
        failures_before = len(result.failures) + len(result.errors) if result else 0
        outcome = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > failures_before:
            sys.stderr.write(f"\n{self.id()} failed; the front's log:\n{self.front.log_tail()}\n")
        return outcome

    def registry(self, server, method, path, body=None):
        return call(server, method, path, body, REGISTRY_TYPE)

    def ok(self, server, method, path, body=None):
        status, reply = self.registry(server, method, path, body)
        self.assertEqual(status, 200, f"{method} {path}: {reply}")
        return reply

    def assertRegistryError(self, reply, status, error_code, text=None):
        got_status, body = reply
        self.assertEqual((got_status, body.get("error_code")), (status, error_code), body)
        if text is not None:
            self.assertIn(text, body["message"])

    def schemas_records(self):
        """The cluster's _schemas records as {key: value or None}, last record of a key wins."""
        by_key = {}
        for message in read_all(self.bootstrap, "_schemas", [0])[0]:
            value = message.value()
            by_key[message.key().decode()] = None if value is None else json.loads(value)
        return by_key

    # -- the schema registry ------------------------------------------------------------------

    def test_registered_schemas_are_records_in_the_clusters_schemas_topic(self):
        subject = self.unique_topic("orders") + "-value"
        id1 = self.ok(self.front, "POST", f"/subjects/{subject}/versions",
                      schema_body(ORDER_V1))["id"]
        id2 = self.ok(self.front, "POST", f"/subjects/{subject}/versions",
                      schema_body(ORDER_V2))["id"]
        self.assertEqual(self.ok(self.front, "POST", f"/subjects/{subject}/versions",
                                 schema_body(ORDER_V1))["id"], id1)
        self.ok(self.front, "PUT", f"/config/{subject}", {"compatibility": "FULL"})
        self.assertEqual(self.ok(self.front, "GET", f"/subjects/{subject}/versions"), [1, 2])

        records = self.schemas_records()
        key = json.dumps({"keytype": "SCHEMA", "subject": subject, "version": 2, "magic": 1},
                         separators=(",", ":"))
        self.assertIn(key, records)
        self.assertEqual((records[key]["id"], json.loads(records[key]["schema"])), (id2, ORDER_V2))
        config_key = json.dumps({"keytype": "CONFIG", "subject": subject, "magic": 0},
                                separators=(",", ":"))
        self.assertEqual(records[config_key], {"compatibilityLevel": "FULL"})

    def test_a_restarted_front_and_another_front_replay_the_registry(self):
        subject = self.unique_topic("survivor") + "-value"
        id1 = self.ok(self.front, "POST", f"/subjects/{subject}/versions",
                      schema_body(ORDER_V1))["id"]
        id2 = self.ok(self.front, "POST", f"/subjects/{subject}/versions",
                      schema_body(ORDER_V2))["id"]
        self.ok(self.front, "DELETE", f"/subjects/{subject}/versions/1")

        def check(server):
            self.assertEqual(self.ok(server, "GET", f"/subjects/{subject}/versions"), [2])
            self.assertEqual(self.ok(server, "GET", f"/subjects/{subject}/versions?deleted=true"),
                             [1, 2])
            self.assertEqual(self.ok(server, "GET", f"/subjects/{subject}/versions/latest")["id"],
                             id2)
            self.assertEqual(self.ok(server, "GET", f"/schemas/ids/{id1}/schema"), ORDER_V1)

        self.front.restart()
        check(self.front)

        other = TarnServer(extra_args=self.front_args(), name="front2", kafka=False)
        try:
            other.start()
            check(other)
            # Ids go on from the replayed ones.
            other_subject = self.unique_topic("other") + "-value"
            id3 = self.ok(other, "POST", f"/subjects/{other_subject}/versions",
                          schema_body({"type": "object"}))["id"]
            self.assertGreater(id3, id2)
            self.assertEqual(other.stop(), 0)
        finally:
            other.close()

    def test_registry_errors_keep_confluents_codes(self):
        subject = self.unique_topic("errors") + "-value"
        self.ok(self.front, "POST", f"/subjects/{subject}/versions", schema_body(ORDER_V1))
        self.assertRegistryError(self.registry(self.front, "GET", "/subjects/nothing/versions"),
                                 404, 40401)
        self.assertRegistryError(self.registry(self.front, "GET",
                                               f"/subjects/{subject}/versions/9"), 404, 40402)
        self.assertRegistryError(self.registry(self.front, "POST", f"/subjects/{subject}/versions",
                                               {"schema": "{\"type\": 12}", "schemaType": "JSON"}),
                                 422, 42201)
        self.assertRegistryError(self.registry(self.front, "POST", f"/subjects/{subject}/versions",
                                               schema_body(ORDER_BROKEN)),
                                 409, 409, "TYPE_NARROWED")
        self.assertRegistryError(self.registry(self.front, "PUT", "/config",
                                               {"compatibility": "SOMETIMES"}), 422, 42203)
        self.assertEqual(self.ok(self.front, "GET", f"/subjects/{subject}/versions"), [1])

    # -- the HTTP event API -------------------------------------------------------------------

    def test_events_published_to_the_front_land_on_the_clusters_bus(self):
        self.ok(self.front, "POST", "/subjects/payment-taken/versions", schema_body(PAYMENT_SCHEMA))
        keys = [f"customer-{i}" for i in range(12)] + ["customer-0"]
        events = [payment(f"pay-{i}", key) for i, key in enumerate(keys)]
        status, body = call(self.front, "POST", "/v1/events", events)
        self.assertEqual(status, 200, body)
        answers = body["events"]
        self.assertEqual([a["id"] for a in answers], [e["id"] for e in events])

        # Where a Kafka producer with Java's partitioner puts each key on the cluster.
        expected = {}
        producer = Producer(client_conf(self.bootstrap, partitioner="murmur2_random"))

        def delivered(err, msg):
            self.assertIsNone(err)
            expected[msg.key().decode()] = msg.partition()
        for key in set(keys):
            producer.produce("bus-partitions", key=key, value=b"{}", on_delivery=delivered)
        self.assertEqual(producer.flush(30), 0)

        by_position = {(m.partition(), m.offset()): m
                       for msgs in read_all(self.bootstrap, "bus", range(PARTITIONS)).values()
                       for m in msgs}
        for answer, sent in zip(answers, events):
            self.assertEqual(answer["topic"], "bus")
            self.assertEqual(answer["partition"], expected[sent["partitionKey"]], sent)
            message = by_position[(answer["partition"], answer["offset"])]
            self.assertEqual(message.key().decode(), sent["partitionKey"])
            value = json.loads(message.value())
            self.assertEqual((value["id"], value["payment"]), (sent["id"], sent["payment"]))
            headers = {k: v.decode() for k, v in message.headers()}
            self.assertEqual((headers["ce_id"], headers["ce_type"]), (sent["id"], "payment-taken"))
        # One key's events keep their order.
        first, last = answers[0], answers[-1]
        self.assertEqual(first["partition"], last["partition"])
        self.assertGreater(last["offset"], first["offset"])

        # A contract violation writes nothing.
        ends = {p: self.end_offset("bus", p) for p in range(PARTITIONS)}
        status, body = call(self.front, "POST", "/v1/events",
                            [payment("ok-1", "k"), payment("bad", "k", amount=-1)])
        self.assertEqual(status, 422, body)
        self.assertEqual(body["error"]["code"], "contract_violation")
        self.assertEqual({p: self.end_offset("bus", p) for p in range(PARTITIONS)}, ends)

        # And the front reads the bus back over HTTP, page after page.
        wanted = {a["id"]: (a["partition"], a["offset"]) for a in answers}
        seen = {}
        cursor = "earliest"
        deadline = time.monotonic() + 30
        while set(wanted) - set(seen) and time.monotonic() < deadline:
            status, body = call(self.front, "GET",
                                f"/v1/topics/bus/events?from={cursor}&limit=20&wait_ms=1000")
            self.assertEqual(status, 200, body)
            for e in body["events"]:
                seen[e["event"]["id"]] = (e["partition"], e["offset"])
            cursor = body["next"]
        self.assertEqual({i: seen.get(i) for i in wanted}, wanted)

    def test_an_event_over_librdkafkas_default_record_limit_is_published(self):
        big = payment("big-1", "big-key")
        big["note"] = "x" * 1_040_000  # under the envelope limit (1 MiB), over 1,000,000
        status, body = call(self.front, "POST", "/v1/events", big)
        self.assertEqual(status, 200, body)
        [answer] = body["events"]
        consumer = Consumer(client_conf(self.bootstrap, **{"group.id": "big-reader"}))
        try:
            consumer.assign([TopicPartition("bus", answer["partition"], answer["offset"])])
            message = consumer.poll(20)
            self.assertIsNotNone(message)
            self.assertIsNone(message.error())
            self.assertEqual(json.loads(message.value())["note"], big["note"])
        finally:
            consumer.close()

    def test_the_fronts_router_routes_through_the_cluster_and_commits_there(self):
        channel = self.unique_topic("big-payments")
        status, body = call(self.front, "PUT", "/v1/rules/big-payments",
                            {"name": "big-payments",
                             "pattern": {"type": ["payment-taken"],
                                         "payment": {"amount": [{"numeric": [">", 100]}]}},
                             "targets": [{"channel": channel}]})
        self.assertIn(status, (200, 201), body)
        destination = f"channel:{channel}"

        def lane():
            _, lanes = call(self.front, "GET", "/v1/router/lanes")
            return next((entry for entry in lanes["lanes"] if entry["destination"] == destination),
                        None)
        wait_until(lane, 10, "the channel's lane")
        time.sleep(0.5)  # the lane has read its starting position (the end of the bus)
        events = [payment(f"route-{i}", f"payer-{i % 4}", amount=i * 10) for i in range(30)]
        status, body = call(self.front, "POST", "/v1/events", events)
        self.assertEqual(status, 200, body)
        expected = sorted(e["id"] for e in events if e["payment"]["amount"] > 100)

        def routed():
            try:
                got = read_all(self.bootstrap, channel, range(PARTITIONS))
            except KafkaException:  # the channel topic is not there yet
                return None
            ids = sorted(json.loads(m.value())["id"] for msgs in got.values() for m in msgs)
            return ids if len(ids) >= len(expected) else None
        self.assertEqual(wait_until(routed, 30, "the routed events on the cluster"), expected)

        # The lane's position is the cluster's committed offsets of its consumer group.
        ends = {p: self.end_offset("bus", p) for p in range(PARTITIONS)}

        def committed():
            consumer = Consumer(client_conf(self.bootstrap,
                                            **{"group.id": f"tarn-router.{destination}"}))
            try:
                offsets = consumer.committed([TopicPartition("bus", p) for p in range(PARTITIONS)],
                                             timeout=10)
            finally:
                consumer.close()
            got = {tp.partition: tp.offset for tp in offsets}
            return got if got == ends else None
        wait_until(committed, 30, f"the lane's commits to reach {ends}", interval_s=0.3)

    def test_a_long_poll_on_the_front_wakes_on_a_produce_to_the_cluster(self):
        topic = self.unique_topic("tail")
        producer = Producer(client_conf(self.bootstrap))
        producer.produce(topic, partition=0, key=b"k", value=b'{"n": 0}')
        self.assertEqual(producer.flush(30), 0)
        result = {}

        def poll():
            result["reply"] = call(self.front, "GET",
                                   f"/v1/topics/{topic}/events?from=0:1&wait_ms=20000")
            result["at"] = time.monotonic()
        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.5)  # let the poll park first; it must wait, not answer empty
        self.assertNotIn("reply", result)
        sent_at = time.monotonic()
        producer.produce(topic, partition=0, key=b"k", value=b'{"n": 1}')
        self.assertEqual(producer.flush(30), 0)
        poller.join(30)
        status, body = result["reply"]
        self.assertEqual(status, 200, body)
        self.assertEqual([(e["partition"], e["offset"]) for e in body["events"]], [(0, 1)])
        self.assertLess(result["at"] - sent_at, 10)

    def test_a_server_sent_event_stream_on_the_front_follows_the_cluster(self):
        topic = self.unique_topic("stream")
        producer = Producer(client_conf(self.bootstrap))
        for n in range(40):
            producer.produce(topic, partition=0, key=b"k", value=json.dumps({"n": n}).encode())
        self.assertEqual(producer.flush(30), 0)
        conn = http.client.HTTPConnection("127.0.0.1", self.front.http_port, timeout=20)
        conn.request("GET", f"/v1/topics/{topic}/events?from=0:0&limit=7",
                     headers={"Accept": "text/event-stream"})
        response = conn.getresponse()
        self.assertEqual(response.status, 200)

        def next_offsets(count):
            offsets, data = [], None
            while len(offsets) < count:
                line = response.fp.readline().decode()
                self.assertTrue(line, "the stream ended early")
                line = line.rstrip("\n")
                if line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and data is not None:
                    offsets.append((data["partition"], data["offset"]))
                    data = None
            return offsets

        try:
            self.assertEqual(next_offsets(40), [(0, n) for n in range(40)])
            producer.produce(topic, partition=0, key=b"k", value=b'{"n": 40}')
            self.assertEqual(producer.flush(30), 0)
            self.assertEqual(next_offsets(1), [(0, 40)])
        finally:
            conn.close()

    def end_offset(self, topic, partition):
        consumer = Consumer(client_conf(self.bootstrap, **{"group.id": "end-offsets"}))
        try:
            return consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)[1]
        finally:
            consumer.close()


class BrokerOffStartTest(unittest.TestCase):
    """Start-up errors of --broker off."""

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="broker-off-")
        self.addCleanup(shutil.rmtree, self.work, True)

    def serve(self, *args, timeout_s=60):
        return subprocess.run([tarn_binary(), "serve", "--http-addr", "127.0.0.1:0",
                               "--data-dir", os.path.join(self.work, "unused"), *args],
                              capture_output=True, text=True, timeout=timeout_s, cwd=self.work)

    def test_broker_off_without_brokers_is_a_usage_error(self):
        proc = self.serve("--broker", "off")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("brokers", proc.stderr)
        proc = self.serve("--broker", "off", "--brokers", "nohost")
        self.assertEqual(proc.returncode, 2, proc.stderr)

    def test_an_unreachable_cluster_fails_the_start_with_the_reason(self):
        started = time.monotonic()
        proc = self.serve("--broker", "off", "--brokers", "127.0.0.1:1")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("127.0.0.1:1", proc.stderr)
        self.assertIn("_schemas", proc.stderr)
        self.assertLess(time.monotonic() - started, 40)
        self.assertFalse(os.path.exists(os.path.join(self.work, "unused")))


if __name__ == "__main__":
    tarn_server.main()
