"""Kafka producers to topics with tarn.validation=true on a real `tarn serve`, whose records must
be event envelopes that satisfy their type's contract: an idempotent confluent-kafka producer
goes on after a refused batch; batches in every codec are checked record by record; the other
partitions and topics of a request are unaffected; DescribeConfigs shows the setting;
tombstones pass only on a compacted topic; Produce v8 over a raw socket names each failing
record (record_errors) and v7 gets the bare error code; kafka-python and kcat see the refusal.
(test_http_events.py checks the basic refusal with confluent-kafka.)

Run: /usr/bin/python3 tests/compat/test_produce_validation.py --tarn build/release/src/app/tarn
"""

import json
import os
import struct
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import ServerTestCase, run  # noqa: E402
from test_confluent_kafka import client_conf, produce_all, read_all  # noqa: E402
from test_http_events import ORDER_SCHEMA, event  # noqa: E402
from test_wire import Connection, request  # noqa: E402

from confluent_kafka import KafkaError, Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # noqa: E402

PRODUCE = 0
INVALID_RECORD = 87
TIMEOUT_S = 30


def envelope(event_id, **kwargs):
    return json.dumps(event(event_id, **kwargs)).encode()


def without_order(event_id):
    """An envelope of type order-placed without the `order` its contract requires."""
    body = event(event_id)
    del body["order"]
    return json.dumps(body).encode()


def record_batch(values, key=b"k"):
    """One uncompressed magic-2 batch (kafka-python's builder) holding `values`."""
    from kafka.record.default_records import DefaultRecordBatchBuilder
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                        producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                        batch_size=1 << 20)
    for i, value in enumerate(values):
        builder.append(i, timestamp=1700000000000, key=key, value=value, headers=[])
    return bytes(builder.build())


def produce_body(topic, partition, batch):
    """A Produce v3-8 request body (acks=-1) with one batch for one partition."""
    name = topic.encode()
    return (struct.pack(">hhi", -1, -1, TIMEOUT_S * 1000)  # null transactional_id, acks, timeout
            + struct.pack(">ih", 1, len(name)) + name
            + struct.pack(">ii", 1, partition) + struct.pack(">i", len(batch)) + batch)


def parse_produce_response(frame, version):
    """[(error_code, base_offset, record_errors, error_message)] for each partition of a Produce
    v5-8 response; record_errors is [(batch_index, message)]."""
    pos = 4  # correlation id

    def take(fmt):
        nonlocal pos
        values = struct.unpack_from(fmt, frame, pos)
        pos += struct.calcsize(fmt)
        return values

    def nullable_string():
        (n,) = take(">h")
        if n < 0:
            return None
        text = frame[pos:pos + n].decode()
        take(f">{n}s")
        return text

    out = []
    (topics,) = take(">i")
    for _ in range(topics):
        nullable_string()
        (partitions,) = take(">i")
        for _ in range(partitions):
            _, error, base_offset, _, _ = take(">ihqqq")
            errors, message = [], None
            if version >= 8:
                (count,) = take(">i")
                for _ in range(count):
                    (index,) = take(">i")
                    errors.append((index, nullable_string()))
                message = nullable_string()
            out.append((error, base_offset, errors, message))
    take(">i")  # throttle_time_ms
    assert pos == len(frame), f"{len(frame) - pos} bytes left in the Produce response"
    return out


class ProduceValidationTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        body = json.dumps({"schemaType": "JSON", "schema": json.dumps(ORDER_SCHEMA)}).encode()
        registered = urllib.request.Request(
            f"http://127.0.0.1:{cls.server.http_port}/subjects/order-placed/versions", data=body,
            method="POST", headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
        urllib.request.urlopen(registered, timeout=TIMEOUT_S).read()

    def create(self, prefix, partitions=1, **config):
        """A new topic; `config` keys use _ for . (tarn_validation="true")."""
        name = self.unique_topic(prefix)
        config = {k.replace("_", "."): v for k, v in config.items()}
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        admin.create_topics([NewTopic(name, partitions, config=config)])[name].result(TIMEOUT_S)
        return name

    def checked(self, prefix="checked", partitions=1, **config):
        return self.create(prefix, partitions, tarn_validation="true", **config)

    def produce(self, producer, topic, values, partition=0, key=b"k"):
        """Error codes of the delivery reports (None for delivered), in the order produced."""
        reports = produce_all(producer, topic,
                              [(partition, key, v, None, None) for v in values])
        codes = {i: err.code() if err else None for i, _, _, err in reports}
        return [codes[i] for i in range(len(values))]

    def stored_ids(self, topic, partition=0):
        return [json.loads(m.value())["id"]
                for m in read_all(self.bootstrap, topic, [partition])[partition]]

    # -- librdkafka (confluent-kafka) ---------------------------------------------------------

    def test_an_idempotent_producer_goes_on_after_a_refused_batch(self):
        topic = self.checked()
        producer = Producer(client_conf(self.bootstrap, enable_idempotence=True, acks="all"))
        self.assertEqual(self.produce(producer, topic, [envelope("a"), envelope("b")]),
                         [None, None])
        self.assertEqual(self.produce(producer, topic, [without_order("c")]),
                         [KafkaError.INVALID_RECORD])
        self.assertEqual(self.produce(producer, topic, [envelope("d"), envelope("e")]),
                         [None, None])
        self.assertEqual(self.stored_ids(topic), ["a", "b", "d", "e"])

    def test_every_codec_is_checked_record_by_record(self):
        topic = self.checked()
        stored = []
        padding = "x" * 2000  # compressible, so that librdkafka keeps the batch compressed
        for codec in ("gzip", "snappy", "lz4", "zstd"):
            producer = Producer(client_conf(self.bootstrap, compression_type=codec,
                                            linger_ms=100, enable_idempotence=False, retries=0))
            ids = [f"{codec}-{i}" for i in range(4)]
            values = [envelope(i, total=-1 if i.endswith("-1") else 1, note=padding) for i in ids]
            codes = self.produce(producer, topic, values)
            # Which records share the bad one's batch is librdkafka's choice: whatever was
            # refused with it is not stored, whatever was delivered is.
            self.assertEqual(codes[1], KafkaError.INVALID_RECORD, codec)
            self.assertLessEqual(set(codes), {None, KafkaError.INVALID_RECORD}, codec)
            stored += [i for i, code in zip(ids, codes) if code is None]
        self.assertEqual(self.stored_ids(topic), stored)

    def test_other_partitions_and_topics_of_a_request_are_unaffected(self):
        checked = self.checked(partitions=2)
        open_topic = self.create("open")
        producer = Producer(client_conf(self.bootstrap, linger_ms=100, enable_idempotence=False,
                                        retries=0))
        reports = {}

        def report(name):
            return lambda err, msg: reports.__setitem__(name, err.code() if err else None)

        producer.produce(checked, value=b"not an event", partition=0, on_delivery=report("bad"))
        producer.produce(checked, value=envelope("p1"), partition=1, on_delivery=report("good"))
        producer.produce(open_topic, value=b"anything", partition=0, on_delivery=report("open"))
        producer.produce(open_topic, value=None, key=b"k", partition=0,
                         on_delivery=report("tombstone"))
        self.assertEqual(producer.flush(TIMEOUT_S), 0)
        self.assertEqual(reports, {"bad": KafkaError.INVALID_RECORD, "good": None, "open": None,
                                   "tombstone": None})
        self.assertEqual(self.stored_ids(checked, 1), ["p1"])
        self.assertEqual(read_all(self.bootstrap, checked, [0])[0], [])
        self.assertEqual(len(read_all(self.bootstrap, open_topic, [0])[0]), 2)

    def test_an_event_type_without_a_contract_needs_only_a_valid_envelope(self):
        topic = self.checked()
        producer = Producer(client_conf(self.bootstrap, enable_idempotence=False, retries=0))
        shipped = envelope("s-1", event_type="shipment-sent")
        self.assertEqual(self.produce(producer, topic, [shipped]), [None])
        self.assertEqual(self.produce(producer, topic, [envelope("s-2", event_type="Not_A_Type")]),
                         [KafkaError.INVALID_RECORD])
        self.assertEqual(self.stored_ids(topic), ["s-1"])

    def test_tombstones_pass_only_on_a_compacted_topic(self):
        compacted = self.checked("compacted", cleanup_policy="compact")
        deleting = self.checked("deleting")
        producer = Producer(client_conf(self.bootstrap, enable_idempotence=False, retries=0))
        self.assertEqual(self.produce(producer, compacted, [envelope("c-1"), None]), [None, None])
        self.assertEqual(self.produce(producer, compacted, [b"{}"]), [KafkaError.INVALID_RECORD])
        self.assertEqual(self.produce(producer, deleting, [None]), [KafkaError.INVALID_RECORD])

    def test_describe_configs_shows_the_setting(self):
        checked = self.checked()
        open_topic = self.create("open")
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        futures = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, checked),
                                          ConfigResource(ConfigResource.Type.TOPIC, open_topic)])
        values = {r.name: f.result(TIMEOUT_S)["tarn.validation"] for r, f in futures.items()}
        self.assertEqual({k: v.value for k, v in values.items()},
                         {checked: "true", open_topic: "false"})
        self.assertFalse(values[checked].is_default)
        self.assertTrue(values[open_topic].is_default)
        refused = admin.create_topics([NewTopic(self.unique_topic("bad"), 1,
                                                config={"tarn.validation": "sometimes"})])
        with self.assertRaises(Exception) as raised:
            list(refused.values())[0].result(TIMEOUT_S)
        self.assertIn("tarn.validation", str(raised.exception))

    # -- the wire -----------------------------------------------------------------------------

    def test_produce_v8_names_each_failing_record(self):
        topic = self.checked()
        conn = Connection(self.server.kafka_port)
        try:
            batch = record_batch([envelope("w-0"), without_order("w-1"), b"not json",
                                  envelope("w-3")])
            conn.send(request(PRODUCE, 8, 1, produce_body(topic, 0, batch)))
            [(error, base_offset, record_errors, message)] = parse_produce_response(
                conn.read_frame(), 8)
            self.assertEqual((error, base_offset), (INVALID_RECORD, -1))
            self.assertEqual([i for i, _ in record_errors], [1, 2])
            self.assertIn("order-placed", record_errors[0][1])
            self.assertIn("order", record_errors[0][1].replace("order-placed", ""))
            self.assertTrue(record_errors[1][1], "the envelope's own error names the problem")
            self.assertIn("refused 2 of 4 records", message)

            # Produce v7 has no room for the reasons: the error code alone.
            conn.send(request(PRODUCE, 7, 2, produce_body(topic, 0, batch)))
            [(error, _, _, _)] = parse_produce_response(conn.read_frame(), 7)
            self.assertEqual(error, INVALID_RECORD)

            good = record_batch([envelope("w-0"), envelope("w-3")])
            conn.send(request(PRODUCE, 8, 3, produce_body(topic, 0, good)))
            [(error, base_offset, record_errors, message)] = parse_produce_response(
                conn.read_frame(), 8)
            self.assertEqual((error, base_offset, record_errors, message), (0, 0, [], None))
        finally:
            conn.close()
        self.assertEqual(self.stored_ids(topic), ["w-0", "w-3"])

    # -- other clients ------------------------------------------------------------------------

    def test_kafka_python_producer_is_refused(self):
        from kafka import KafkaProducer
        from kafka.errors import KafkaError as KafkaPythonError
        topic = self.checked()
        producer = KafkaProducer(bootstrap_servers=self.bootstrap, retries=0,
                                 request_timeout_ms=TIMEOUT_S * 1000)
        try:
            # kafka-python 2.0.2 has no name for error 87: it raises UnknownError.
            with self.assertRaises(KafkaPythonError):
                producer.send(topic, value=without_order("kp-bad"), key=b"k",
                              partition=0).get(TIMEOUT_S)
            metadata = producer.send(topic, value=envelope("kp-good"), key=b"k",
                                     partition=0).get(TIMEOUT_S)
            self.assertEqual(metadata.offset, 0)
        finally:
            producer.close(TIMEOUT_S)
        self.assertEqual(self.stored_ids(topic), ["kp-good"])

    def test_kcat_reports_the_refused_record(self):
        topic = self.checked()
        conf = ["-X", "message.timeout.ms=20000", "-X", "socket.timeout.ms=10000"]
        proc = run(["kcat", "-P", "-b", self.bootstrap, "-t", topic, "-p", "0", *conf],
                   TIMEOUT_S, input="not an event\n", check=False)
        # librdkafka's text for INVALID_RECORD.
        self.assertIn("Delivery failed", proc.stderr)
        self.assertIn("Broker failed to validate record", proc.stderr)
        run(["kcat", "-P", "-b", self.bootstrap, "-t", topic, "-p", "0", *conf], TIMEOUT_S,
            input=envelope("kcat-good").decode() + "\n")
        self.assertEqual(self.stored_ids(topic), ["kcat-good"])


if __name__ == "__main__":
    tarn_server.main()
