// kafkajs 2.2.4 against a running `tarn serve` (started by test_kafkajs.py, which passes
// TARN_BOOTSTRAP). It checks what kafkajs produces through its own admin client (offsets,
// offsets by timestamp, metadata) and its consumer groups, and writes every record it sent, with
// the offset it was acknowledged at, to $TARN_KAFKAJS_OUT; the Python side then reads the topics
// back with another client and compares record by record.
//
// Run: TARN_BOOTSTRAP=127.0.0.1:9092 TARN_KAFKAJS_OUT=/tmp/out.json node --test kafkajs_test.mjs
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { CompressionTypes, Kafka, logLevel } from 'kafkajs';

const bootstrap = process.env.TARN_BOOTSTRAP;
const outPath = process.env.TARN_KAFKAJS_OUT;
if (!bootstrap || !outPath) {
  throw new Error('TARN_BOOTSTRAP and TARN_KAFKAJS_OUT must be set');
}
const TIMEOUT_MS = 30_000;
const suffix = `${process.pid}-${Date.now()}`;

const kafka = new Kafka({
  clientId: 'tarn-compat-kafkajs',
  brokers: [bootstrap],
  connectionTimeout: 5000,
  requestTimeout: 15000,
  retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
  logLevel: logLevel.WARN,
});
const admin = kafka.admin();
// Everything produced, by topic: [{partition, offset, key, value, headers, timestamp}] with
// bytes as hex strings (null stays null).
const produced = {};

const hex = (b) => (b === null || b === undefined ? null : Buffer.from(b).toString('hex'));

before(async () => {
  await admin.connect();
});

after(async () => {
  await admin.disconnect();
  writeFileSync(outPath, JSON.stringify(produced));
});

// Sends `messages` in one request and records them, with their acknowledged offsets, for the
// Python side. Returns kafkajs's RecordMetadata list.
async function sendAndRecord(producer, topic, messages, options = {}) {
  const metadata = await producer.send({ topic, messages, acks: -1, ...options });
  for (const md of metadata) assert.equal(md.errorCode, 0, `${topic}/${md.partition}`);
  const base = new Map(metadata.map((md) => [md.partition, BigInt(md.baseOffset)]));
  const next = new Map();
  produced[topic] ??= [];
  for (const m of messages) {
    const offset = (base.get(m.partition) ?? 0n) + (next.get(m.partition) ?? 0n);
    next.set(m.partition, (next.get(m.partition) ?? 0n) + 1n);
    produced[topic].push({
      partition: m.partition,
      offset: Number(offset),
      key: hex(m.key),
      value: hex(m.value),
      headers: Object.entries(m.headers ?? {}).map(([k, v]) => [k, hex(v)]),
      timestamp: Number(m.timestamp),
    });
  }
  return metadata;
}

test('admin creates, lists, describes and deletes topics', { timeout: TIMEOUT_MS }, async () => {
  const a = `kafkajs-admin-a-${suffix}`;
  const b = `kafkajs-admin-b-${suffix}`;
  assert.equal(
    await admin.createTopics({
      topics: [{ topic: a, numPartitions: 3 }, { topic: b, numPartitions: 1 }],
      waitForLeaders: true,
    }),
    true,
  );
  // An existing topic: createTopics answers false rather than throwing.
  assert.equal(await admin.createTopics({ topics: [{ topic: a, numPartitions: 3 }] }), false);

  // No numPartitions and no replicationFactor: kafkajs sends -1 for both (the broker defaults).
  const c = `kafkajs-admin-c-${suffix}`;
  assert.equal(await admin.createTopics({ topics: [{ topic: c }], waitForLeaders: true }), true);
  const defaulted = await admin.fetchTopicMetadata({ topics: [c] });
  assert.equal(defaulted.topics[0].partitions.length, 1, 'the default partition count');

  const topics = await admin.listTopics();
  assert.ok(topics.includes(a) && topics.includes(b), `listTopics: ${topics}`);
  const md = await admin.fetchTopicMetadata({ topics: [a] });
  assert.deepEqual(md.topics.map((t) => t.name), [a]);
  assert.deepEqual(md.topics[0].partitions.map((p) => p.partitionId).sort(), [0, 1, 2]);

  const offsets = await admin.fetchTopicOffsets(a);
  assert.deepEqual(
    offsets.map(({ partition, offset, high, low }) => [partition, offset, high, low]).sort(),
    [[0, '0', '0', '0'], [1, '0', '0', '0'], [2, '0', '0', '0']],
  );

  await admin.deleteTopics({ topics: [a], timeout: 10000 });
  const deadline = Date.now() + 10_000;
  while ((await admin.listTopics()).includes(a)) {
    assert.ok(Date.now() < deadline, `${a} still listed 10 s after deleteTopics`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok((await admin.listTopics()).includes(b));
});

test('idempotent producer: keys, headers, timestamps', { timeout: TIMEOUT_MS }, async () => {
  const topic = `kafkajs-data-${suffix}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  // kafkajs wants unlimited retries for an idempotent producer; the test's timeout bounds them.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  await producer.connect();
  try {
    const base = Date.now() - 60_000;
    const batches = [];
    for (let batch = 0; batch < 4; batch++) {
      const messages = [];
      for (let i = batch * 150; i < (batch + 1) * 150; i++) {
        messages.push({
          partition: i % 3,
          key: i % 25 === 4 ? null : `key-${i}`,
          value: i % 60 === 13 ? null : Buffer.concat([Buffer.from(`value-${i}-`),
                                                       Buffer.from([0, 255, i % 256])]),
          headers: { index: `${i}`, bin: Buffer.from([1, 2, i % 256]) },
          timestamp: `${base + 10 * i}`,
        });
      }
      batches.push(messages);
    }
    const next = [0, 0, 0];
    for (const messages of batches) {
      const metadata = await sendAndRecord(producer, topic, messages);
      for (const md of metadata.sort((x, y) => x.partition - y.partition)) {
        assert.equal(Number(md.baseOffset), next[md.partition], `partition ${md.partition}`);
        next[md.partition] += 50;
      }
    }

    const offsets = await admin.fetchTopicOffsets(topic);
    assert.deepEqual(
      offsets.map(({ partition, high, low }) => [partition, high, low]).sort(),
      [[0, '200', '0'], [1, '200', '0'], [2, '200', '0']],
    );
    // Record i sits in partition i % 3 at offset i / 3 with timestamp base + 10 i.
    const cases = [
      [base - 1000, ['0', '0', '0']],
      [base + 10 * 300, ['100', '100', '100']],
      [base + 10 * 300 + 1, ['101', '100', '100']],
      [base + 10 * 599, ['200', '200', '199']],
    ];
    for (const [ts, want] of cases) {
      const got = await admin.fetchTopicOffsetsByTimestamp(topic, ts);
      assert.deepEqual(
        got.sort((x, y) => x.partition - y.partition).map((p) => p.offset),
        want,
        `fetchTopicOffsetsByTimestamp(${ts - base} ms after base)`,
      );
    }
    // After the last record: no offset, which kafkajs turns into the high watermark.
    const late = await admin.fetchTopicOffsetsByTimestamp(topic, base + 10 * 600);
    assert.deepEqual(late.map((p) => p.offset), ['200', '200', '200']);
  } finally {
    await producer.disconnect();
  }
});

test('gzip batches', { timeout: TIMEOUT_MS }, async () => {
  const topic = `kafkajs-gzip-${suffix}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  try {
    const messages = [];
    for (let i = 0; i < 300; i++) {
      messages.push({ partition: 0, key: `k${i}`, value: `gzip-${i}-${'abcdef'.repeat(20)}`,
                      headers: { codec: 'gzip' }, timestamp: `${Date.now()}` });
    }
    const [md] = await sendAndRecord(producer, topic, messages.slice(0, 150),
                                     { compression: CompressionTypes.GZIP });
    assert.equal(md.baseOffset, '0');
    const [md2] = await sendAndRecord(producer, topic, messages.slice(150),
                                      { compression: CompressionTypes.GZIP });
    assert.equal(md2.baseOffset, '150');
  } finally {
    await producer.disconnect();
  }
});

test('producing to an unknown topic creates it', { timeout: TIMEOUT_MS }, async () => {
  const topic = `kafkajs-auto-${suffix}`;
  assert.ok(!(await admin.listTopics()).includes(topic));
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    const [md] = await sendAndRecord(producer, topic, [
      { partition: 0, key: 'k', value: 'first', timestamp: `${Date.now()}` },
    ]);
    assert.equal(md.baseOffset, '0');
  } finally {
    await producer.disconnect();
  }
  assert.ok((await admin.listTopics()).includes(topic));
  const offsets = await admin.fetchTopicOffsets(topic);
  assert.deepEqual(offsets.map(({ partition, high }) => [partition, high]), [[0, '1']]);
});

// Polls `condition` every 50 ms until it holds; fails naming `what` after `ms`.
async function waitFor(condition, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, `timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a consumer group shares partitions, commits and resumes at its commits',
     { timeout: 90_000 }, async () => {
  const topic = `kafkajs-group-${suffix}`;
  const groupId = `kafkajs-group-${suffix}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  const batch = (from, to) => Array.from({ length: to - from }, (_, j) => ({
    partition: (from + j) % 4, key: `k${from + j}`, value: `v${from + j}`,
    timestamp: `${Date.now()}`,
  }));
  // Consumers of one group, each recording the keys it reads and its latest assignment.
  const seen = [];
  const assignments = new Map();
  const startConsumer = async (name) => {
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500,
                                      maxWaitTimeInMs: 200 });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      assignments.set(name, e.payload.memberAssignment[topic] ?? []);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.push({ name, partition, offset: Number(message.offset), key: message.key.toString() });
      },
    });
    return consumer;
  };
  try {
    await sendAndRecord(producer, topic, batch(0, 40));
    const members = [await startConsumer('a'), await startConsumer('b')];
    await waitFor(() => {
      const a = assignments.get('a') ?? [];
      const b = assignments.get('b') ?? [];
      return a.length > 0 && b.length > 0 && new Set([...a, ...b]).size === 4;
    }, 30_000, 'two members sharing four partitions');
    await waitFor(() => new Set(seen.map((s) => s.key)).size === 40, 30_000, '40 records read');
    const described = await admin.describeGroups([groupId]);
    assert.equal(described.groups[0].state, 'Stable');
    assert.equal(described.groups[0].members.length, 2);
    const listed = await admin.listGroups();
    assert.ok(listed.groups.some((g) => g.groupId === groupId && g.protocolType === 'consumer'));
    // Disconnecting commits what was read and leaves the group.
    await Promise.all(members.map((m) => m.disconnect()));
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    assert.deepEqual(
      committed.partitions.map(({ partition, offset }) => [partition, offset]).sort(),
      [[0, '10'], [1, '10'], [2, '10'], [3, '10']],
    );
    assert.equal((await admin.describeGroups([groupId])).groups[0].state, 'Empty');

    // A new member starts where the group left off.
    await sendAndRecord(producer, topic, batch(40, 48));
    seen.length = 0;
    const again = await startConsumer('c');
    await waitFor(() => seen.length >= 8, 30_000, 'the 8 new records');
    await again.disconnect();
    const firstRead = new Map();
    for (const s of seen) {
      if (!firstRead.has(s.partition)) firstRead.set(s.partition, s.offset);
    }
    assert.deepEqual([...firstRead.entries()].sort(), [[0, 10], [1, 10], [2, 10], [3, 10]]);
  } finally {
    await producer.disconnect();
  }
});
