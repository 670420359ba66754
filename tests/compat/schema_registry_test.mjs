// @kafkajs/confluent-schema-registry 4.1.0 against the schema registry of a running
// `tarn serve` (started by test_schema_registry.py, which passes TARN_REGISTRY_URL and
// TARN_BOOTSTRAP): registers JSON schemas, fetches them by subject, version and id, encodes and
// decodes payloads in Confluent's wire format (magic byte 0, 4-byte schema id, JSON), and
// produces one encoded record with kafkajs. It writes {topic, id, payload} to
// $TARN_REGISTRY_OUT so that the Python side can read the record back with another client.
//
// Run: TARN_REGISTRY_URL=http://127.0.0.1:8080 TARN_BOOTSTRAP=127.0.0.1:9092 \
//      TARN_REGISTRY_OUT=/tmp/out.json node --test schema_registry_test.mjs
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';

import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';

const host = process.env.TARN_REGISTRY_URL;
const bootstrap = process.env.TARN_BOOTSTRAP;
const outPath = process.env.TARN_REGISTRY_OUT;
if (!host || !bootstrap || !outPath) {
  throw new Error('TARN_REGISTRY_URL, TARN_BOOTSTRAP and TARN_REGISTRY_OUT must be set');
}
const suffix = `${process.pid}-${Date.now()}`;

const orderV1 = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: { id: { type: 'string' }, amount: { type: 'number', minimum: 0 } },
  required: ['id', 'amount'],
  additionalProperties: false,
};
const orderV2 = {
  ...orderV1,
  properties: { ...orderV1.properties, note: { type: 'string', maxLength: 100 } },
};
const orderNarrowed = {
  ...orderV2,
  properties: { ...orderV2.properties, amount: { type: 'integer' } },
};
const asJson = (schema) => ({ type: SchemaType.JSON, schema: JSON.stringify(schema) });

test('register, fetch, encode and decode JSON schemas', async () => {
  const registry = new SchemaRegistry({ host });
  const subject = `orders-${suffix}-value`;

  const { id: id1 } = await registry.register(asJson(orderV1), { subject });
  assert.ok(Number.isInteger(id1) && id1 > 0, `id ${id1}`);
  assert.equal((await registry.register(asJson(orderV1), { subject })).id, id1,
    'the same schema registers to the same id');
  const { id: id2 } = await registry.register(asJson(orderV2), { subject });
  assert.notEqual(id2, id1);

  assert.equal(await registry.getLatestSchemaId(subject), id2);
  assert.equal(await registry.getRegistryId(subject, 1), id1);
  assert.equal(await registry.getRegistryIdBySchema(subject, asJson(orderV1)), id1);
  const schema1 = await registry.getSchema(id1);
  // (isValid reports failures only to a caller that passes an errorHook.)
  const missing = [];
  assert.ok(schema1.isValid({ id: 'x', amount: 1 }, { errorHook: (path) => missing.push(path) }));
  assert.ok(!schema1.isValid({ id: 'x' }, { errorHook: (path) => missing.push(path) }),
    'amount is required');

  const payload = { id: 'o-1', amount: 12.5, note: 'first' };
  const encoded = await registry.encode(id2, payload);
  assert.equal(encoded[0], 0, 'magic byte');
  assert.equal(encoded.readInt32BE(1), id2, 'schema id');
  assert.deepEqual(JSON.parse(encoded.subarray(5).toString()), payload);

  // A client with an empty cache fetches the schema by id to decode.
  const fresh = new SchemaRegistry({ host });
  assert.deepEqual(await fresh.decode(encoded), payload);

  // The schema from the registry validates: a payload it refuses cannot be encoded.
  await assert.rejects(fresh.encode(id2, { id: 'o-2', amount: -1 }), /invalid payload/);

  // The library pins the subject's compatibility to BACKWARD on first registration.
  await assert.rejects(registry.register(asJson(orderNarrowed), { subject }),
    (error) => error.status === 409 && /incompatible/.test(error.message));
  await assert.rejects(
    registry.register(asJson(orderV1), { subject, compatibility: COMPATIBILITY.FULL }),
    /Compatibility does not match/);

  // One encoded record through the broker, for the Python side to read back.
  const topic = `registry-${suffix}`;
  const kafka = new Kafka({ clientId: 'tarn-compat-registry', brokers: [bootstrap],
                            logLevel: logLevel.WARN });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: 'o-1', value: encoded }] });
  } finally {
    await producer.disconnect();
  }
  writeFileSync(outPath, JSON.stringify({ topic, id: id2, payload }));
});
