"""The schema registry of a real `tarn serve`, over HTTP as Confluent Schema Registry clients
speak it (urllib only): registering JSON schemas and reading them back by subject, version and
id; lookups; compatibility checks and their verbose reasons; global and subject config; soft
and permanent deletes with Confluent's error codes; the records in the `_schemas` topic, read
with confluent-kafka; and the registry's state surviving a clean restart and a SIGKILL.
Then schema_registry_test.mjs drives it with the npm client @kafkajs/confluent-schema-registry
(register, fetch, encode, decode; installed by `scripts/setup --test`), and the record it
produces is read back here and checked byte for byte.

Run: /usr/bin/python3 tests/compat/test_schema_registry.py --tarn build/release/src/app/tarn
"""

import json
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import ServerTestCase, run_node_test  # noqa: E402
from test_confluent_kafka import read_all  # noqa: E402

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"

ORDER_V1 = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {"id": {"type": "string"}, "amount": {"type": "number"}},
    "required": ["id"],
    "additionalProperties": False,
}
# Adds an optional property to the closed model: backward compatible.
ORDER_V2 = dict(ORDER_V1, properties=dict(ORDER_V1["properties"], note={"type": "string"}))
# Narrows amount: not backward compatible with v1 or v2.
ORDER_BROKEN = dict(ORDER_V2, properties=dict(ORDER_V2["properties"], amount={"type": "integer"}))
# v1 with amount narrowed only: forward compatible with v1 (v1 reads its data), not backward.
ORDER_NARROWED = dict(ORDER_V1, properties=dict(ORDER_V1["properties"], amount={"type": "integer"}))


def schema_body(schema, schema_type="JSON"):
    body = {"schema": json.dumps(schema)}
    if schema_type is not None:
        body["schemaType"] = schema_type
    return body


class SchemaRegistryTest(ServerTestCase):

    def call(self, method, path, body=None, content_type=CONTENT_TYPE):
        """Returns (status, parsed JSON body, Content-Type)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": CONTENT_TYPE}
        if data is not None:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(f"http://127.0.0.1:{self.server.http_port}{path}",
                                         data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read()), response.headers["Content-Type"]
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read()), e.headers["Content-Type"]

    def ok(self, method, path, body=None):
        status, reply, content_type = self.call(method, path, body)
        self.assertEqual(status, 200, f"{method} {path}: {reply}")
        self.assertEqual(content_type, CONTENT_TYPE)
        return reply

    def assertError(self, reply, status, error_code, text=None):
        got_status, body, _ = reply
        self.assertEqual((got_status, body.get("error_code")), (status, error_code), body)
        self.assertIsInstance(body.get("message"), str)
        if text is not None:
            self.assertIn(text, body["message"])

    def subject(self, name):
        return self.unique_topic(name) + "-value"

    def register(self, subject, schema):
        return self.ok("POST", f"/subjects/{subject}/versions", schema_body(schema))["id"]

    # -- tests --------------------------------------------------------------------------------

    def test_register_and_read_back(self):
        s = self.subject("orders")
        id1 = self.register(s, ORDER_V1)
        self.assertEqual(self.register(s, ORDER_V1), id1, "the same schema keeps its id")
        id2 = self.register(s, ORDER_V2)
        self.assertNotEqual(id1, id2)
        other = self.subject("audit")
        self.assertEqual(self.register(other, ORDER_V2), id2, "ids are global")

        self.assertIn(s, self.ok("GET", "/subjects"))
        self.assertEqual(self.ok("GET", f"/subjects/{s}/versions"), [1, 2])
        latest = self.ok("GET", f"/subjects/{s}/versions/latest")
        self.assertEqual((latest["subject"], latest["version"], latest["id"], latest["schemaType"]),
                         (s, 2, id2, "JSON"))
        self.assertEqual(json.loads(latest["schema"]), ORDER_V2)
        self.assertEqual(self.ok("GET", f"/subjects/{s}/versions/1/schema"), ORDER_V1)
        by_id = self.ok("GET", f"/schemas/ids/{id1}")
        self.assertEqual((json.loads(by_id["schema"]), by_id["schemaType"]), (ORDER_V1, "JSON"))
        self.assertEqual(self.ok("GET", f"/schemas/ids/{id1}/schema"), ORDER_V1)
        self.assertEqual(self.ok("GET", f"/schemas/ids/{id2}/versions"),
                         sorted([{"subject": s, "version": 2}, {"subject": other, "version": 1}],
                                key=lambda v: v["subject"]))
        self.assertEqual(self.ok("GET", "/schemas/types"), ["JSON"])

        found = self.ok("POST", f"/subjects/{s}", schema_body(ORDER_V1))
        self.assertEqual((found["version"], found["id"]), (1, id1))
        self.assertError(self.call("POST", f"/subjects/{s}", schema_body({"type": "string"})),
                         404, 40403)

    def test_errors_carry_confluents_codes(self):
        s = self.subject("errors")
        self.register(s, ORDER_V1)
        self.assertError(self.call("GET", "/subjects/no-such-subject/versions"), 404, 40401)
        self.assertError(self.call("GET", f"/subjects/{s}/versions/7"), 404, 40402)
        self.assertError(self.call("GET", f"/subjects/{s}/versions/first"), 422, 42202)
        self.assertError(self.call("GET", "/schemas/ids/987654"), 404, 40403)
        self.assertError(self.call("POST", f"/subjects/{s}/versions", schema_body(ORDER_V1, None)),
                         422, 42201, "schemaType AVRO is not supported")
        self.assertError(self.call("POST", f"/subjects/{s}/versions",
                                   schema_body(ORDER_V1, "PROTOBUF")), 422, 42201)
        self.assertError(self.call("POST", f"/subjects/{s}/versions",
                                   {"schema": "{\"type\": 12}", "schemaType": "JSON"}),
                         422, 42201, "Invalid schema")
        self.assertError(self.call("POST", f"/subjects/{s}/versions", schema_body(ORDER_V1),
                                   content_type="text/plain"), 415, 415)
        refused = self.call("POST", f"/subjects/{s}/versions", schema_body(ORDER_BROKEN))
        self.assertError(refused, 409, 409, "TYPE_NARROWED at #/properties/amount")
        self.assertEqual(self.ok("GET", f"/subjects/{s}/versions"), [1])

    def test_compatibility_and_config(self):
        s = self.subject("compat")
        self.register(s, ORDER_V1)
        path = f"/compatibility/subjects/{s}/versions/latest"
        self.assertEqual(self.ok("POST", path, schema_body(ORDER_V2)), {"is_compatible": True})
        verbose = self.ok("POST", path + "?verbose=true", schema_body(ORDER_BROKEN))
        self.assertFalse(verbose["is_compatible"])
        self.assertTrue(any("amount" in m for m in verbose["messages"]), verbose)

        self.assertError(self.call("GET", f"/config/{s}"), 404, 40408)
        self.assertEqual(self.ok("PUT", f"/config/{s}", {"compatibility": "FORWARD"}),
                         {"compatibility": "FORWARD"})
        self.assertEqual(self.ok("GET", f"/config/{s}"), {"compatibilityLevel": "FORWARD"})
        # FORWARD: the old schema must read the new one's data; narrowing a property's type
        # from number to integer is fine that way round.
        self.register(s, ORDER_NARROWED)
        self.assertError(self.call("PUT", "/config", {"compatibility": "SOMETIMES"}), 422, 42203)
        self.assertEqual(self.ok("DELETE", f"/config/{s}"), {"compatibilityLevel": "FORWARD"})
        self.assertEqual(self.ok("GET", f"/config/{s}?defaultToGlobal=true"),
                         self.ok("GET", "/config"))
        self.assertEqual(self.ok("GET", "/mode"), {"mode": "READWRITE"})

    def test_soft_and_permanent_deletes(self):
        s = self.subject("deletes")
        self.register(s, ORDER_V1)
        self.register(s, ORDER_V2)
        self.assertError(self.call("DELETE", f"/subjects/{s}?permanent=true"), 404, 40405)
        self.assertError(self.call("DELETE", f"/subjects/{s}/versions/2?permanent=true"), 404,
                         40407)
        self.assertEqual(self.ok("DELETE", f"/subjects/{s}/versions/2"), 2)
        self.assertError(self.call("DELETE", f"/subjects/{s}/versions/2"), 404, 40406)
        self.assertEqual(self.ok("DELETE", f"/subjects/{s}/versions/2?permanent=true"), 2)
        self.assertEqual(self.ok("DELETE", f"/subjects/{s}"), [1])
        self.assertError(self.call("DELETE", f"/subjects/{s}"), 404, 40404)
        self.assertNotIn(s, self.ok("GET", "/subjects"))
        self.assertIn(s, self.ok("GET", "/subjects?deleted=true"))
        self.assertEqual(self.ok("DELETE", f"/subjects/{s}?permanent=true"), [1])
        self.assertError(self.call("GET", f"/subjects/{s}/versions?deleted=true"), 404, 40401)

    def test_schemas_topic_holds_confluents_records(self):
        s = self.subject("topic")
        schema_id = self.register(s, ORDER_V1)
        self.ok("PUT", f"/config/{s}", {"compatibility": "FULL"})
        records = read_all(self.bootstrap, "_schemas", [0])[0]
        by_key = {}
        for m in records:
            by_key[m.key().decode()] = None if m.value() is None else json.loads(m.value())
        schema_key = json.dumps({"keytype": "SCHEMA", "subject": s, "version": 1, "magic": 1},
                                separators=(",", ":"))
        self.assertIn(schema_key, by_key)
        value = by_key[schema_key]
        self.assertEqual((value["subject"], value["version"], value["id"], value["schemaType"],
                          value["deleted"]), (s, 1, schema_id, "JSON", False))
        self.assertEqual(json.loads(value["schema"]), ORDER_V1)
        config_key = json.dumps({"keytype": "CONFIG", "subject": s, "magic": 0},
                                separators=(",", ":"))
        self.assertEqual(by_key[config_key], {"compatibilityLevel": "FULL"})

    def test_state_survives_restart_and_sigkill(self):
        a = self.subject("survivor")
        b = self.subject("survivor")
        id_a1 = self.register(a, ORDER_V1)
        id_a2 = self.register(a, ORDER_V2)
        self.ok("DELETE", f"/subjects/{a}/versions/1")
        self.ok("PUT", f"/config/{a}", {"compatibility": "FULL_TRANSITIVE"})

        def check_a():
            self.assertEqual(self.ok("GET", f"/subjects/{a}/versions"), [2])
            self.assertEqual(self.ok("GET", f"/subjects/{a}/versions?deleted=true"), [1, 2])
            self.assertEqual(self.ok("GET", f"/subjects/{a}/versions/latest")["id"], id_a2)
            self.assertEqual(self.ok("GET", f"/schemas/ids/{id_a1}/schema"), ORDER_V1)
            self.assertEqual(self.ok("GET", f"/config/{a}"),
                             {"compatibilityLevel": "FULL_TRANSITIVE"})

        self.assertEqual(self.server.restart(), self.server)
        check_a()
        id_b = self.register(b, {"type": "object", "properties": {"n": {"type": "integer"}}})
        self.assertGreater(id_b, id_a2)
        self.server.restart(crash=True)
        check_a()
        self.assertEqual(self.ok("GET", f"/subjects/{b}/versions/1")["id"], id_b)
        # Registering what exists keeps its id; a new schema gets the next one.
        self.assertEqual(self.register(a, ORDER_V2), id_a2)
        self.assertGreater(self.register(b, {"type": "object"}), id_b)

    def test_confluent_schema_registry_npm_client(self):
        out_path = os.path.join(self.server.work_dir, "registry-produced.json")
        run_node_test(self, "schema_registry_test.mjs", "@kafkajs/confluent-schema-registry",
                      dict(TARN_REGISTRY_URL=f"http://127.0.0.1:{self.server.http_port}",
                           TARN_BOOTSTRAP=self.bootstrap, TARN_REGISTRY_OUT=out_path), 90)

        with open(out_path) as f:
            produced = json.load(f)
        [record] = read_all(self.bootstrap, produced["topic"], [0])[0]
        value = record.value()
        self.assertEqual(value[0], 0, "magic byte")
        self.assertEqual(int.from_bytes(value[1:5], "big"), produced["id"])
        self.assertEqual(json.loads(value[5:]), produced["payload"])
        # The id in the record resolves to the schema the payload was encoded with.
        schema = self.ok("GET", f"/schemas/ids/{produced['id']}/schema")
        self.assertEqual(sorted(schema["properties"]), ["amount", "id", "note"])


if __name__ == "__main__":
    tarn_server.main()
