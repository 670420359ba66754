"""The command line over a real `tarn serve`'s HTTP API: `tarn contract register|check|list|show`,
`tarn publish`, `tarn rule put|list|test|delete` and `tarn faults list|show|resubmit`, their
output and exit codes (0 done, 1 refused or failed, 2 usage).

Run: /usr/bin/python3 tests/compat/test_http_cli.py --tarn build/release/src/app/tarn
"""

import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import ServerTestCase, wait_until  # noqa: E402

V1 = {"type": "object", "required": ["order"],
      "properties": {"order": {"type": "object", "additionalProperties": False,
                               "properties": {"total": {"type": "number"}}}}}
# An optional property added to a closed content model: backward compatible.
V2 = {"type": "object", "required": ["order"],
      "properties": {"order": {"type": "object", "additionalProperties": False,
                               "properties": {"total": {"type": "number"}, "note": {"type": "string"}}}}}
# total narrowed to integer: not backward compatible.
BROKEN = {"type": "object", "required": ["order"],
          "properties": {"order": {"type": "object", "additionalProperties": False,
                                   "properties": {"total": {"type": "integer"}}}}}


class HttpCliTest(ServerTestCase):

    def tarn(self, *args, input=None, check_code=0):
        env = dict(os.environ, TARN_HTTP=f"127.0.0.1:{self.server.http_port}")
        proc = tarn_server.run([tarn_server.tarn_binary(), *args], timeout_s=60, input=input, env=env,
                               check=False)
        if check_code is not None:
            self.assertEqual(proc.returncode, check_code, f"{args}: {proc.stdout}{proc.stderr}")
        return proc

    def write(self, name, content):
        path = os.path.join(self.server.work_dir, name)
        with open(path, "w") as f:
            f.write(content if isinstance(content, str) else json.dumps(content))
        return path

    def test_contracts_register_check_list_show(self):
        out = self.tarn("contract", "register", "order-placed", "--schema", self.write("v1.json", V1)).stdout
        self.assertIn("order-placed: subject order-placed version 1", out)
        self.assertIn("compatible", self.tarn("contract", "check", "order-placed", "--schema",
                                               self.write("v2.json", V2)).stdout)
        refused = self.tarn("contract", "check", "order-placed", "--schema", self.write("broken.json", BROKEN),
                            check_code=1)
        self.assertIn("not compatible", refused.stderr)
        self.assertIn("total", refused.stderr)
        self.tarn("contract", "register", "order-placed", "--schema", self.write("broken2.json", BROKEN),
                  check_code=1)
        self.tarn("contract", "register", "order-placed", "--schema", "-", input=json.dumps(V2))

        out = self.tarn("contract", "register", "user-created", "--subject", "accounts", "--schema",
                        self.write("user.json", {"type": "object"})).stdout
        self.assertIn("user-created: subject accounts version 1", out)
        listing = self.tarn("contract", "list").stdout
        self.assertRegex(listing, r"order-placed\s+order-placed\s+2")
        self.assertRegex(listing, r"user-created\s+accounts\s+1")
        contracts = json.loads(self.tarn("contract", "list", "--json").stdout)["contracts"]
        self.assertEqual({c["type"] for c in contracts}, {"order-placed", "user-created"})
        shown = self.tarn("contract", "show", "order-placed", "--version", "1").stdout
        self.assertIn("version 1", shown)
        self.assertEqual(json.loads(shown.split("\n", 1)[1]), V1)
        self.assertIn("not found", self.tarn("contract", "show", "no-such", check_code=1).stderr.lower())
        self.tarn("contract", "register", "x-y", "--schema", "/no/such/file", check_code=1)
        self.tarn("contract", "register", check_code=2)

    def test_publish_prints_positions_and_names_a_refused_event(self):
        self.tarn("contract", "register", "payment-made", "--schema",
                  self.write("pay.json", {"type": "object", "required": ["payment"]}))
        out = self.tarn("publish", "--type", "payment-made", "--key", "p-1", "--data", '{"amount": 3}',
                        "--id", "pay-1", "--source", "cli").stdout
        self.assertRegex(out, r"^pay-1 -> bus/0@\d+$")
        lines = "\n".join(json.dumps({"id": f"nd-{i}", "type": "payment-made", "timestamp": 1,
                                      "partitionKey": "p", "payment": {}}) for i in range(3))
        out = self.tarn("publish", input=lines).stdout
        self.assertEqual(len(out.strip().splitlines()), 3)
        bad = [{"id": "ok", "type": "payment-made", "timestamp": 1, "partitionKey": "p", "payment": {}},
               {"id": "broken", "type": "payment-made", "timestamp": 1, "partitionKey": "p"}]
        err = self.tarn("publish", "--file", self.write("bad.json", bad), check_code=1).stderr
        self.assertIn('event 1 (id "broken")', err)
        self.tarn("publish", "--type", "payment-made", "--data", "{nope", check_code=1)

    def test_rules_and_faults(self):
        rule = {"pattern": {"type": ["ticket-sold"]},
                "targets": [{"id": "hook", "webhook": {"url": "http://127.0.0.1:9/unreachable",
                                                       "initial-backoff-ms": 10, "max-backoff-ms": 20,
                                                       "max-age-ms": 200, "timeout-ms": 500}}]}
        self.assertIn("created rule tickets", self.tarn("rule", "put", "tickets", "--file",
                                                        self.write("rule.json", rule)).stdout)
        self.assertIn("replaced", self.tarn("rule", "put", "tickets", input=json.dumps(rule)).stdout)
        self.assertRegex(self.tarn("rule", "list").stdout, r"tickets\s+yes")
        event = {"id": "t-1", "type": "ticket-sold", "timestamp": 1, "partitionKey": "t"}
        self.assertEqual(self.tarn("rule", "test", "--event", "-", input=json.dumps(event)).stdout, "tickets\n")
        self.assertIn("no rule", self.tarn("rule", "test", input=json.dumps({"type": "x-y"})).stdout)
        self.tarn("rule", "put", "bad", input='{"pattern": {"type": "nope"}, "targets": []}', check_code=1)

        def lane_ready():
            with urllib.request.urlopen(f"http://127.0.0.1:{self.server.http_port}/v1/router/lanes") as r:
                return any(l["destination"].startswith("webhook:") for l in json.loads(r.read())["lanes"])
        wait_until(lane_ready, 10, "the webhook lane")
        time.sleep(0.5)
        self.tarn("publish", input=json.dumps(event))
        faults = wait_until(lambda: json.loads(self.tarn("faults", "list", "--json").stdout)["faults"], 30,
                            "the fault for the unreachable webhook")
        fault_id = faults[0]["fault"]["id"]
        listing = self.tarn("faults", "list").stdout
        self.assertIn(fault_id, listing)
        self.assertIn("WebhookUnavailable", listing)
        shown = json.loads(self.tarn("faults", "show", fault_id).stdout)
        self.assertEqual(shown["event"]["id"], "t-1")
        self.assertIn("not delivered", self.tarn("faults", "resubmit", fault_id, check_code=1).stdout)
        self.tarn("faults", "resubmit", "no-such-fault", check_code=1)
        self.assertIn("deleted", self.tarn("rule", "delete", "tickets").stdout)
        self.tarn("rule", "delete", "tickets", check_code=1)

    def test_an_unreachable_server_is_a_clear_error(self):
        proc = self.tarn("contract", "list", "--http", "127.0.0.1:9", check_code=1)
        self.assertIn("127.0.0.1:9", proc.stderr)


if __name__ == "__main__":
    tarn_server.main()
