"""The router of a real `tarn serve`, end to end: rules managed over HTTP and from tarn.yaml,
persisted across restarts; events published over HTTP routed to a channel topic (read back
with confluent-kafka) and to a webhook that fails some of the time: nothing is lost, no key's
events are reordered, what runs out of retries becomes fault events, and resubmitting the
faults delivers them.

Run: /usr/bin/python3 tests/compat/test_router.py --tarn build/release/src/app/tarn
"""

import http.server
import json
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import ServerTestCase, TarnServer, wait_until  # noqa: E402
from test_confluent_kafka import read_all  # noqa: E402

PARTITIONS = 3
KEYS = [f"order-{k}" for k in range(8)]


class FlakyWebhook:
    """An HTTP endpoint that answers 503 or 500 to a seeded share of the batches, and always
    503 to a batch holding an event keyed "poison" until told to accept it. It records every
    event of every batch it accepts, in arrival order."""

    def __init__(self, failure_rate, seed=7):
        self.received = []
        self.requests = 0
        self.refused = 0
        self.accept_poison = False
        self.lock = threading.Lock()
        rng = random.Random(seed)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                events = json.loads(body)
                with outer.lock:
                    outer.requests += 1
                    poison = any(e["partitionKey"] == "poison" for e in events)
                    fail = (poison and not outer.accept_poison) or rng.random() < failure_rate
                    if fail:
                        outer.refused += 1
                    else:
                        outer.received.extend(events)
                status = (503 if rng.random() < 0.5 else 500) if fail else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ids(self):
        with self.lock:
            return [e["id"] for e in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def order(n, key, total=10):
    return {"id": f"o-{n}", "type": "order-placed", "timestamp": 1700000000000 + n,
            "partitionKey": key, "order": {"n": n, "total": total}}


class RouterTest(ServerTestCase):
    SERVER_ARGS = ("--default-partitions", str(PARTITIONS))

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.server.http_port}{path}", data=data,
                                         method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def put_rule(self, rule):
        status, body = self.call("PUT", f"/v1/rules/{rule['name']}", rule)
        self.assertIn(status, (200, 201), body)
        return body

    def wait_for_lane(self, destination):
        def ready():
            _, body = self.call("GET", "/v1/router/lanes")
            return any(lane["destination"] == destination for lane in body["lanes"])
        wait_until(ready, 10, f"the lane for {destination}")
        time.sleep(0.3)  # the lane has read its starting position

    def test_a_flaky_webhook_loses_nothing_keeps_key_order_and_faults_can_be_resubmitted(self):
        hook = FlakyWebhook(failure_rate=0.3)
        self.addCleanup(hook.close)
        self.put_rule({"name": "to-hook", "pattern": {"type": ["order-placed"]},
                       "targets": [{"id": "crm", "webhook": {
                           "url": hook.url, "batch-size": 5, "initial-backoff-ms": 10,
                           "max-backoff-ms": 100, "max-age-ms": 1500}}]})
        self.addCleanup(self.call, "DELETE", "/v1/rules/to-hook")
        self.wait_for_lane(f"webhook:{hook.url}")

        published = []
        for batch in range(10):
            events = [order(batch * 30 + i, KEYS[i % len(KEYS)]) for i in range(30)]
            if batch == 4:
                events.append(order(100_000, "poison"))
            status, body = self.call("POST", "/v1/events", events)
            self.assertEqual(status, 200, body)
            published += [e["id"] for e in events]

        def settled():
            _, body = self.call("GET", "/v1/router/lanes")
            lane = next(l for l in body["lanes"] if l["destination"] == f"webhook:{hook.url}")
            return lane["lag"] == 0 and lane["delivered"] + lane["faulted"] >= len(published)
        wait_until(settled, 60, "the webhook lane to deliver or fault every event")

        status, body = self.call("GET", "/v1/faults")
        self.assertEqual(status, 200)
        faults = [f["fault"] for f in body["faults"] if f["fault"]["target"]["id"] == "crm"]
        faulted_ids = {f["event"]["id"] for f in faults}
        self.assertIn("o-100000", faulted_ids)
        for fault in faults:
            self.assertEqual(fault["type"], "fault")
            self.assertEqual(fault["err"]["name"], "WebhookUnavailable")
            self.assertEqual(fault["rule"], "to-hook")
            self.assertEqual(fault["target"]["destination"], f"webhook:{hook.url}")
        self.assertGreater(hook.refused, 1, "the webhook never failed: the test proves nothing")

        # Everything that is not a fault arrived, and each key's events arrived in order.
        delivered = hook.ids()
        self.assertEqual(set(published) - faulted_ids, set(delivered) - faulted_ids)
        first_seen = {}
        for event in hook.received:
            first_seen.setdefault(event["id"], event)
        by_key = {}
        for event_id in dict.fromkeys(delivered):
            event = first_seen[event_id]
            by_key.setdefault(event["partitionKey"], []).append(event["order"]["n"])
        for key, ns in by_key.items():
            self.assertEqual(ns, sorted(ns), f"events of {key} arrived out of order")

        # Resubmitting the faults delivers them once the webhook takes them.
        hook.accept_poison = True
        status, body = self.call("POST", "/v1/faults/resubmit", {"ids": [f["id"] for f in faults]})
        self.assertEqual(status, 200, body)
        self.assertTrue(all(r["delivered"] for r in body["results"]), body)
        self.assertTrue(faulted_ids <= set(hook.ids()))
        self.assertEqual(self.call("POST", "/v1/faults/resubmit", {"ids": ["no-such-fault"]})[0], 404)

        metrics = urllib.request.urlopen(f"http://127.0.0.1:{self.server.http_port}/metrics").read().decode()
        self.assertIn(f'tarn_router_retries_total{{target="webhook:{hook.url}"}}', metrics)
        self.assertIn('tarn_router_matched_total{rule="to-hook"}', metrics)

    def test_channel_rules_route_what_matches_and_rules_persist(self):
        rule = self.put_rule({"name": "big-orders", "description": "orders over 100",
                              "pattern": {"type": ["order-placed"], "order": {"total": [{"numeric": [">", 100]}]}},
                              "targets": [{"channel": "big-orders"}, {"id": "bodies", "channel": "order-bodies",
                                                                      "field": "order"}]})
        self.assertEqual(rule["targets"][0]["id"], "channel:big-orders")
        self.wait_for_lane("channel:big-orders")
        self.wait_for_lane("channel:order-bodies#order")
        events = [order(5000 + i, KEYS[i % 3], total=i * 10) for i in range(30)]
        self.assertEqual(self.call("POST", "/v1/events", events)[0], 200)
        expected = [e for e in events if e["order"]["total"] > 100]

        def routed():
            got = read_all(self.bootstrap, "big-orders", range(PARTITIONS))
            return got if sum(len(v) for v in got.values()) >= len(expected) else None
        got = wait_until(routed, 20, "the big orders in their channel")
        values = [json.loads(m.value()) for msgs in got.values() for m in msgs]
        self.assertEqual(sorted(v["id"] for v in values), sorted(e["id"] for e in expected))
        for msgs in got.values():
            for m in msgs:
                self.assertEqual(m.key().decode(), json.loads(m.value())["partitionKey"])
                self.assertIn("ce_type", dict(m.headers()))

        status, body = self.call("POST", "/v1/rules/test", order(1, "k", total=500))
        self.assertIn("big-orders", body["matched"])
        status, body = self.call("POST", "/v1/rules/test", order(1, "k", total=5))
        self.assertNotIn("big-orders", body["matched"])

        self.assertEqual(self.call("PUT", "/v1/rules/bad", {"pattern": {"type": "x"}, "targets": []})[0], 400)
        self.assertEqual(self.call("GET", "/v1/rules/missing")[0], 404)

        self.server.restart()
        status, body = self.call("GET", "/v1/rules/big-orders")
        self.assertEqual(status, 200)
        self.assertEqual(body["description"], "orders over 100")
        status, body = self.call("DELETE", "/v1/rules/big-orders")
        self.assertEqual(status, 200)
        self.assertEqual(self.call("DELETE", "/v1/rules/big-orders")[0], 404)


class BridgeTest(ServerTestCase):
    """Two hubs bridged both ways as two subsystems: events flow one way and back, and none
    comes back to the hub it left."""

    SERVER_ARGS = ("--region", "alpha")

    def test_events_cross_both_ways_without_echo(self):
        alpha = self.server
        beta = TarnServer(extra_args=["--region", "beta"], name="bridge-beta")
        self.addCleanup(beta.close)
        beta.start()

        def call(server, method, path, body=None):
            request = urllib.request.Request(f"http://127.0.0.1:{server.http_port}{path}",
                                             data=None if body is None else json.dumps(body).encode(),
                                             method=method, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())

        egress = {"type": [{"prefix": "order-"}]}
        call(alpha, "PUT", "/v1/rules/to-beta",
             {"pattern": egress, "targets": [{"bridge": f"127.0.0.1:{beta.kafka_port}"}]})
        call(beta, "PUT", "/v1/rules/to-alpha",
             {"pattern": egress, "targets": [{"bridge": f"127.0.0.1:{alpha.kafka_port}"}]})
        call(beta, "PUT", "/v1/rules/ingress",
             {"pattern": {"type": ["order-placed"]}, "targets": [{"channel": "from-outside"}]})
        for server, destination in ((alpha, f"bridge:127.0.0.1:{beta.kafka_port}/bus"),
                                    (beta, f"bridge:127.0.0.1:{alpha.kafka_port}/bus"),
                                    (beta, "channel:from-outside")):
            wait_until(lambda: any(l["destination"] == destination
                                   for l in call(server, "GET", "/v1/router/lanes")["lanes"]),
                       10, destination)
        time.sleep(0.5)

        call(alpha, "POST", "/v1/events", [order(10_000 + i, KEYS[i % 4]) for i in range(20)])

        def bus_ids(server):
            got = read_all(server.bootstrap, "bus", [0])
            return [(json.loads(m.value())["id"], dict(m.headers() or []).get("tarn_origin")) for m in got[0]]

        wait_until(lambda: len(bus_ids(beta)) >= 20, 30, "alpha's events on beta's bus")
        wait_until(lambda: len(read_all(beta.bootstrap, "from-outside", [0])[0]) >= 20, 30,
                   "beta's ingress rule to route them")
        call(beta, "POST", "/v1/events", [order(20_000 + i, KEYS[i % 4]) for i in range(10)])
        wait_until(lambda: len(bus_ids(alpha)) >= 30, 30, "beta's events on alpha's bus")
        time.sleep(2)  # long enough for an echo to arrive, were there one

        on_alpha, on_beta = bus_ids(alpha), bus_ids(beta)
        self.assertEqual(len(on_alpha), 30, on_alpha)
        self.assertEqual(len(on_beta), 30, on_beta)
        self.assertEqual(len({i for i, _ in on_alpha}), 30, "an event reached alpha twice")
        self.assertEqual(len({i for i, _ in on_beta}), 30, "an event reached beta twice")
        self.assertEqual({o for i, o in on_beta if i.startswith("o-10")}, {b"alpha"})
        self.assertEqual({o for i, o in on_alpha if i.startswith("o-20")}, {b"beta"})
        self.assertEqual({o for i, o in on_alpha if i.startswith("o-10")}, {None})
        self.assertEqual(beta.stop(), 0)


class RulesFromConfigTest(ServerTestCase):
    def test_tarn_yaml_rules_are_loaded(self):
        config = os.path.join(self.server.work_dir, "rules.yaml")
        with open(config, "w") as f:
            f.write("rules:\n"
                    "  - name: audit\n"
                    "    pattern: {type: [{prefix: \"order-\"}], tags: {skip: [{exists: false}]}}\n"
                    "    targets:\n"
                    "      - channel: audit\n")
        other = TarnServer(extra_args=["--config", config], name="rulesyaml")
        try:
            other.start()
            request = urllib.request.urlopen(f"http://127.0.0.1:{other.http_port}/v1/rules/audit", timeout=10)
            rule = json.loads(request.read())
            self.assertEqual(rule["pattern"]["type"], [{"prefix": "order-"}])
            self.assertEqual(rule["targets"][0]["channel"], "audit")
            self.assertEqual(other.stop(), 0)
        finally:
            other.close()
        bad = os.path.join(self.server.work_dir, "bad.yaml")
        with open(bad, "w") as f:
            f.write("rules:\n  - name: broken\n    pattern: {type: nope}\n    targets: [{channel: x}]\n")
        proc = tarn_server.run([tarn_server.tarn_binary(), "serve", "--config", bad, "--data-dir",
                                os.path.join(self.server.work_dir, "bad-data"), "--kafka-addr", "127.0.0.1:0",
                                "--http-addr", "127.0.0.1:0"], timeout_s=30, check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("rules[0]", proc.stderr + proc.stdout)


if __name__ == "__main__":
    tarn_server.main()
