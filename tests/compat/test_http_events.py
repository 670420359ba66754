"""The HTTP event API of a real `tarn serve`: publishing to the bus (one event, a JSON array,
NDJSON, CloudEvents structured, batched and binary) with every event checked against the
envelope and its type's contract, all or nothing; what lands on the bus as a Kafka consumer
(confluent-kafka) sees it (key = partitionKey, the envelope as value, ce_* headers, the partition
Kafka's Java client would pick); reading back by long poll and server-sent events; contract
bindings; bad input (malformed JSON, wrong content types, bodies over the limit, slow and broken
clients) refused clearly with nothing written while the server keeps serving; and acknowledged
events surviving SIGKILL.

Run: /usr/bin/python3 tests/compat/test_http_events.py --tarn build/release/src/app/tarn
"""

import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import ServerTestCase  # noqa: E402
from test_confluent_kafka import client_conf, read_all  # noqa: E402

from confluent_kafka import Producer  # noqa: E402

PARTITIONS = 3
MAX_BODY = 256 * 1024

ORDER_SCHEMA = {
    "type": "object",
    "required": ["order"],
    "properties": {"order": {"type": "object", "required": ["total"],
                             "properties": {"total": {"type": "number", "minimum": 0}}}},
}


def event(event_id, key=None, total=1.0, event_type="order-placed", **extra):
    body = {"id": event_id, "type": event_type, "timestamp": 1700000000000,
            "partitionKey": key or f"key-{event_id}", "order": {"total": total}}
    body.update(extra)
    return body


class HttpEventsTest(ServerTestCase):
    SERVER_ARGS = ("--default-partitions", str(PARTITIONS), "--max-http-body-bytes", str(MAX_BODY))

    # -- helpers ------------------------------------------------------------------------------

    def call(self, method, path, body=None, content_type="application/json", headers=None):
        """Returns (status, parsed JSON body)."""
        if body is None:
            data = None
        elif isinstance(body, (bytes, str)):
            data = body.encode() if isinstance(body, str) else body
        else:
            data = json.dumps(body).encode()
        all_headers = dict(headers or {})
        if data is not None and content_type is not None:
            all_headers["Content-Type"] = content_type
        request = urllib.request.Request(f"http://127.0.0.1:{self.server.http_port}{path}",
                                         data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def publish(self, body, content_type="application/json", headers=None):
        return self.call("POST", "/v1/events", body, content_type, headers)

    def bus_end_offsets(self):
        status, body = self.call("GET", "/v1/topics/bus/events?from=latest")
        self.assertEqual(status, 200, body)
        return body["next"]

    def assert_refused(self, response, status, code):
        got_status, body = response
        self.assertEqual(got_status, status, body)
        self.assertEqual(body["error"]["code"], code, body)
        self.assertTrue(body["error"]["message"])
        return body["error"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        request = urllib.request.Request(
            f"http://127.0.0.1:{cls.server.http_port}/subjects/order-placed/versions",
            data=json.dumps({"schemaType": "JSON", "schema": json.dumps(ORDER_SCHEMA)}).encode(),
            method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    # -- publishing ---------------------------------------------------------------------------

    def test_every_body_shape_is_published_and_read_back_by_kafka_clients(self):
        before = self.bus_end_offsets()
        answers = []
        status, body = self.publish(event("one"))
        self.assertEqual(status, 200, body)
        answers += body["events"]
        status, body = self.publish([event("arr-1"), event("arr-2", key="shared"), event("arr-3", key="shared")])
        self.assertEqual(status, 200, body)
        answers += body["events"]
        ndjson = "\n".join(json.dumps(event(f"nd-{i}")) for i in range(5)) + "\n\n"
        status, body = self.publish(ndjson, "application/x-ndjson")
        self.assertEqual(status, 200, body)
        answers += body["events"]
        status, body = self.publish({"specversion": "1.0", "id": "ce-structured", "type": "order-placed",
                                     "source": "shop", "partitionkey": "ce-key", "data": {"total": 2}},
                                    "application/cloudevents+json")
        self.assertEqual(status, 200, body)
        answers += body["events"]
        status, body = self.publish([{"specversion": "1.0", "id": f"ce-batch-{i}", "type": "order-placed",
                                      "source": "shop", "data": {"total": i}} for i in range(2)],
                                    "application/cloudevents-batch+json")
        self.assertEqual(status, 200, body)
        answers += body["events"]
        status, body = self.publish(json.dumps({"total": 7}), "application/json",
                                    {"ce-specversion": "1.0", "ce-id": "ce-binary", "ce-type": "order-placed",
                                     "ce-source": "billing", "ce-region": "eu"})
        self.assertEqual(status, 200, body)
        answers += body["events"]

        self.assertEqual(len(answers), 1 + 3 + 5 + 1 + 2 + 1)
        for answer in answers:
            self.assertEqual(answer["topic"], "bus")
        shared = [a for a in answers if a["id"] in ("arr-2", "arr-3")]
        self.assertEqual(shared[0]["partition"], shared[1]["partition"])
        self.assertEqual(shared[1]["offset"], shared[0]["offset"] + 1)

        by_position = {(m.partition(), m.offset()): m
                       for msgs in read_all(self.bootstrap, "bus", range(PARTITIONS)).values() for m in msgs}
        for answer in answers:
            message = by_position[(answer["partition"], answer["offset"])]
            value = json.loads(message.value())
            self.assertEqual(value["id"], answer["id"])
            self.assertEqual(message.key().decode(), value["partitionKey"])
            headers = {k: v.decode() for k, v in message.headers()}
            self.assertEqual(headers["ce_id"], answer["id"])
            self.assertEqual(headers["ce_type"], "order-placed")
            self.assertEqual(headers["ce_specversion"], "1.0")
        binary = json.loads(by_position[next((a["partition"], a["offset"]) for a in answers
                                             if a["id"] == "ce-binary")].value())
        self.assertEqual(binary["order"], {"total": 7})
        self.assertEqual(binary["tags"], {"source": "billing", "region": "eu"})
        self.assertNotEqual(before, self.bus_end_offsets())

    def test_keys_land_where_kafkas_java_partitioner_puts_them(self):
        keys = [f"customer-{i}" for i in range(30)]
        status, body = self.publish([event(f"p-{k}", key=k) for k in keys])
        self.assertEqual(status, 200, body)
        expected = {}
        producer = Producer(client_conf(self.bootstrap, partitioner="murmur2_random"))

        def delivered(err, msg):
            self.assertIsNone(err)
            expected[msg.key().decode()] = msg.partition()
        for k in keys:
            producer.produce("bus", key=k, value=b"{}", on_delivery=delivered)
        self.assertEqual(producer.flush(30), 0)
        for answer, k in zip(body["events"], keys):
            self.assertEqual(answer["partition"], expected[k], k)

    def test_a_batch_with_one_bad_event_writes_nothing_and_names_it(self):
        before = self.bus_end_offsets()
        error = self.assert_refused(
            self.publish([event("good-1"), event("bad-total", total=-5), event("good-2")]), 422,
            "contract_violation")
        self.assertEqual(error["index"], 1)
        self.assertIn('"bad-total"', error["message"])
        self.assertIn("/order/total", error["message"])
        error = self.assert_refused(
            self.publish([event("good-3"), {"id": "no-type", "timestamp": 1, "partitionKey": "k"}]), 400,
            "invalid_event")
        self.assertEqual(error["index"], 1)
        self.assertIn("type", error["message"])
        lines = json.dumps(event("nd-good")) + "\n" + json.dumps(event("nd-bad", total="lots"))
        error = self.assert_refused(self.publish(lines, "application/x-ndjson"), 422, "contract_violation")
        self.assertEqual(error["index"], 1)
        self.assert_refused(self.publish(event("reserved", event_type="fault")), 400, "invalid_event")
        self.assertEqual(before, self.bus_end_offsets())

    def test_bad_bodies_get_clear_errors_and_change_nothing(self):
        before = self.bus_end_offsets()
        self.assert_refused(self.publish("{not json"), 400, "invalid_json")
        self.assert_refused(self.publish("[]"), 400, "no_events")
        self.assert_refused(self.publish(""), 400, "invalid_json")
        self.assert_refused(self.publish(json.dumps(event("x")), "text/plain"), 415, "unsupported_media_type")
        self.assert_refused(self.publish(json.dumps(event("x")), "application/x-www-form-urlencoded"), 415,
                            "unsupported_media_type")
        self.assert_refused(self.publish("[1, 2]"), 400, "invalid_event")
        self.assert_refused(self.publish('{"specversion":"1.0"}', "application/cloudevents+json"), 400,
                            "invalid_event")
        self.assert_refused(self.publish(json.dumps(event("big", note="x" * (MAX_BODY + 10)))), 413,
                            "payload_too_large")
        self.assertEqual(before, self.bus_end_offsets())
        status, _ = self.publish(event("after-bad-input"))
        self.assertEqual(status, 200)

    def test_slow_and_broken_clients_do_not_stop_the_server(self):
        before = self.bus_end_offsets()
        port = self.server.http_port
        # Half a header, then silence; a body shorter than its Content-Length; a client that
        # disconnects mid-body. None of them may block others or write anything.
        stalled_head = socket.create_connection(("127.0.0.1", port))
        stalled_head.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Ty")
        short_body = socket.create_connection(("127.0.0.1", port))
        payload = json.dumps(event("never-finished")).encode()
        short_body.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           b"Content-Length: %d\r\n\r\n" % (len(payload) + 100) + payload)
        gone = socket.create_connection(("127.0.0.1", port))
        gone.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n" + payload[:10])
        gone.close()
        for i in range(5):
            status, body = self.publish(event(f"while-stalled-{i}"))
            self.assertEqual(status, 200, body)
        stalled_head.close()
        short_body.close()
        status, body = self.call("GET", f"/v1/topics/bus/events?from={before}&limit=1000")
        ids = [e["event"]["id"] for e in body["events"]]
        self.assertEqual(sorted(ids), sorted(f"while-stalled-{i}" for i in range(5)))

    # -- contracts ----------------------------------------------------------------------------

    def test_a_type_bound_to_another_subject_is_checked_against_it(self):
        schema = {"type": "object", "required": ["user"],
                  "properties": {"user": {"type": "object", "required": ["email"]}}}
        status, _ = self.call("POST", "/subjects/accounts/versions",
                              {"schemaType": "JSON", "schema": json.dumps(schema)})
        self.assertEqual(status, 200)
        user = {"id": "u1", "type": "user-created", "timestamp": 1, "partitionKey": "u1", "user": {}}
        self.assertEqual(self.publish(user)[0], 200)  # no contract yet for user-created
        status, body = self.call("PUT", "/v1/contracts/user-created", {"subject": "accounts"})
        self.assertEqual((status, body), (200, {"type": "user-created", "subject": "accounts"}))
        self.assert_refused(self.publish(user), 422, "contract_violation")
        user["user"]["email"] = "a@example.com"
        self.assertEqual(self.publish(user)[0], 200)

        status, body = self.call("GET", "/v1/contracts/user-created")
        self.assertEqual(status, 200)
        self.assertEqual(body["subject"], "accounts")
        self.assertEqual(json.loads(body["schema"])["required"], ["user"])
        status, body = self.call("GET", "/v1/contracts")
        types = {c["type"]: c for c in body["contracts"]}
        self.assertEqual(types["user-created"]["subject"], "accounts")
        self.assertEqual(types["order-placed"]["version"], 1)

        status, body = self.call("DELETE", "/v1/contracts/user-created")
        self.assertEqual(body["subject"], "user-created")
        self.assertEqual(self.call("GET", "/v1/contracts/user-created")[0], 404)
        self.assert_refused(self.call("PUT", "/v1/contracts/Bad", {"subject": "s"}), 422, "invalid_argument")
        self.assert_refused(self.call("PUT", "/v1/contracts/user-created", "[]"), 400, "invalid_argument")

    # -- reading ------------------------------------------------------------------------------

    def test_long_poll_waits_for_the_next_event(self):
        start = self.bus_end_offsets()
        result = {}

        def poll():
            result["response"] = self.call("GET", f"/v1/topics/bus/events?from={start}&wait_ms=20000")
        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.3)
        self.assertTrue(poller.is_alive(), "the long poll answered before any event came")
        self.assertEqual(self.publish(event("awaited"))[0], 200)
        poller.join(25)
        status, body = result["response"]
        self.assertEqual(status, 200)
        self.assertEqual([e["event"]["id"] for e in body["events"]], ["awaited"])
        self.assertEqual(body["events"][0]["headers"]["ce_type"], "order-placed")
        # The cursor moves on: nothing more, at once with wait_ms=0.
        status, body = self.call("GET", f"/v1/topics/bus/events?from={body['next']}")
        self.assertEqual(body["events"], [])

    def test_reads_page_through_a_topic_with_limits_and_cursors(self):
        start = self.bus_end_offsets()
        status, _ = self.publish([event(f"page-{i}") for i in range(25)])
        self.assertEqual(status, 200)
        seen, cursor = [], start
        for _ in range(20):
            status, body = self.call("GET", f"/v1/topics/bus/events?from={cursor}&limit=7")
            self.assertEqual(status, 200)
            self.assertLessEqual(len(body["events"]), 7)
            if not body["events"]:
                break
            seen += [e["event"]["id"] for e in body["events"]]
            cursor = body["next"]
        self.assertEqual(sorted(seen), sorted(f"page-{i}" for i in range(25)))

        self.assert_refused(self.call("GET", "/v1/topics/bus/events?from=yesterday"), 400, "invalid_argument")
        self.assert_refused(self.call("GET", "/v1/topics/bus/events?limit=0"), 400, "invalid_argument")
        self.assert_refused(self.call("GET", "/v1/topics/bus/events?wait_ms=-1"), 400, "invalid_argument")
        self.assert_refused(self.call("GET", "/v1/topics/no-such-topic/events"), 404, "not_found")

    def test_non_event_records_are_shown_as_text_or_base64(self):
        topic = self.unique_topic("raw")
        producer = Producer(client_conf(self.bootstrap))
        producer.produce(topic, partition=0, key=b"k", value=b"plain text")
        producer.produce(topic, partition=0, key=b"\xff", value=b"\x00\xff\xfe")
        producer.produce(topic, partition=0, key=None, value=None)
        self.assertEqual(producer.flush(30), 0)
        status, body = self.call("GET", f"/v1/topics/{topic}/events")
        self.assertEqual(status, 200)
        values = [(e["key"], e["value"]) for e in body["events"]]
        self.assertEqual(values, [("k", "plain text"), ({"base64": "/w=="}, {"base64": "AP/+"}), (None, None)])

    def test_server_sent_events_stream_and_resume_from_last_event_id(self):
        start = self.bus_end_offsets()
        self.assertEqual(self.publish([event(f"sse-{i}") for i in range(3)])[0], 200)

        def read_stream(headers, count):
            conn = http.client.HTTPConnection("127.0.0.1", self.server.http_port, timeout=20)
            conn.request("GET", f"/v1/topics/bus/events?from={start}", headers=headers)
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            self.assertTrue(response.getheader("Content-Type").startswith("text/event-stream"))
            got, last_id, data = [], None, None
            while len(got) < count:
                line = response.fp.readline().decode()
                self.assertTrue(line, "the stream ended early")
                line = line.rstrip("\n")
                if line.startswith("id: "):
                    last_id = line[4:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and data is not None:
                    got.append((last_id, data["event"]["id"]))
                    data = None
            conn.close()
            return got

        first = read_stream({"Accept": "text/event-stream"}, 2)
        self.assertEqual(len({i for _, i in first}), 2)
        all_three = {i for _, i in read_stream({"Accept": "text/event-stream"}, 3)}
        self.assertEqual(all_three, {"sse-0", "sse-1", "sse-2"})
        # Resuming after the second event yields the third, and then a live one.
        resumed = {"Accept": "text/event-stream", "Last-Event-ID": first[1][0]}
        rest = {i for _, i in read_stream(resumed, 1)}
        self.assertEqual(rest, all_three - {first[0][1], first[1][1]})

        live = []
        reader = threading.Thread(target=lambda: live.extend(
            read_stream({"Accept": "text/event-stream", "Last-Event-ID": self.bus_end_offsets()}, 1)))
        reader.start()
        time.sleep(0.3)
        self.assertEqual(self.publish(event("sse-live"))[0], 200)
        reader.join(20)
        self.assertEqual([i for _, i in live], ["sse-live"])


class ProduceValidationTest(ServerTestCase):
    """Kafka producers to a topic with tarn.validation=true: events that break their contract
    (or are no events) are refused with INVALID_RECORD and nothing of their batch is written."""

    def test_kafka_producers_are_checked_against_contracts(self):
        from confluent_kafka import KafkaError
        from confluent_kafka.admin import AdminClient, NewTopic
        port = self.server.http_port
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/subjects/order-placed/versions",
            data=json.dumps({"schemaType": "JSON", "schema": json.dumps(ORDER_SCHEMA)}).encode(),
            method="POST", headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).read()
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        futures = admin.create_topics([NewTopic("checked-orders", 1, config={"tarn.validation": "true"}),
                                       NewTopic("open-orders", 1)])
        for future in futures.values():
            future.result(30)

        def produce(topic, values, **conf):
            producer = Producer(client_conf(self.bootstrap, linger_ms=50, **conf))
            errors = []
            for v in values:
                producer.produce(topic, key=b"k", value=v,
                                 on_delivery=lambda err, msg: errors.append(err.code() if err else None))
            self.assertEqual(producer.flush(30), 0)
            return errors

        good = [json.dumps(event(f"kv-{i}")).encode() for i in range(3)]
        self.assertEqual(produce("checked-orders", good), [None] * 3)
        # One event breaks its contract: the whole batch (linger gathers the three) is refused.
        mixed = [json.dumps(event("kv-ok")).encode(), json.dumps(event("kv-bad", total=-1)).encode(),
                 json.dumps(event("kv-ok2")).encode()]
        self.assertEqual(produce("checked-orders", mixed, enable_idempotence=False, retries=0),
                         [KafkaError.INVALID_RECORD] * 3)
        self.assertEqual(produce("checked-orders", [b"not an event"], enable_idempotence=False, retries=0),
                         [KafkaError.INVALID_RECORD])
        # An idempotent producer gets the same answer and can go on producing.
        self.assertEqual(produce("checked-orders", [mixed[1]]), [KafkaError.INVALID_RECORD])
        stored = [json.loads(m.value())["id"] for m in read_all(self.bootstrap, "checked-orders", [0])[0]]
        self.assertEqual(stored, ["kv-0", "kv-1", "kv-2"])
        # Without the config, anything goes.
        self.assertEqual(produce("open-orders", [b"not an event", mixed[1]]), [None, None])
        self.assertIn("refused", self.server.log_tail())


class HttpEventsCrashTest(ServerTestCase):
    """Every acknowledged event survives SIGKILL."""

    SERVER_ARGS = ("--default-partitions", str(PARTITIONS))

    def test_acknowledged_events_survive_sigkill(self):
        acknowledged = {}
        stop = threading.Event()
        port = self.server.http_port

        def publisher(worker):
            for batch in range(10_000):
                if stop.is_set():
                    return
                events = [event(f"crash-{worker}-{batch}-{i}") for i in range(20)]
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/v1/events", data=json.dumps(events).encode(),
                    method="POST", headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        for answer in json.loads(response.read())["events"]:
                            acknowledged[answer["id"]] = (answer["partition"], answer["offset"])
                except (urllib.error.URLError, ConnectionError, http.client.HTTPException, OSError):
                    return
        workers = [threading.Thread(target=publisher, args=(w,)) for w in range(3)]
        for w in workers:
            w.start()
        tarn_server.wait_until(lambda: len(acknowledged) >= 1500, 60, "1500 acknowledged events")
        self.server.kill()
        stop.set()
        for w in workers:
            w.join(30)
        self.server.start()
        stored = {}
        for messages in read_all(self.server.bootstrap, "bus", range(PARTITIONS)).values():
            for m in messages:
                stored[json.loads(m.value())["id"]] = (m.partition(), m.offset())
        missing = [i for i in acknowledged if i not in stored]
        self.assertEqual(missing, [], f"{len(missing)} acknowledged events were lost")
        for event_id, position in acknowledged.items():
            self.assertEqual(stored[event_id], position, event_id)


if __name__ == "__main__":
    tarn_server.main()
