// DuckDB (@duckdb/node-api) reads a lake written by `tarn serve` as it is: the files matched by
// one glob, with read_json and nothing else, as docs/lake.md shows. test_lake.py archives
// the records it produced, then runs this file with the lake's root and what it expects:
//   TARN_LAKE_DIR     the lake's root
//   TARN_LAKE_EXPECT  a JSON file: {"lines": N, "types": {type: count}, "order_total_sum": S}
//                     (S: the sum of event.order.total over the `bus` events that have one)
//
// Run: TARN_LAKE_DIR=/tmp/lake TARN_LAKE_EXPECT=/tmp/expect.json node --test lake_duckdb_test.mjs
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { DuckDBInstance } from '@duckdb/node-api';

const lakeDir = process.env.TARN_LAKE_DIR;
const expectPath = process.env.TARN_LAKE_EXPECT;
if (!lakeDir || !expectPath) {
  throw new Error('TARN_LAKE_DIR and TARN_LAKE_EXPECT must be set');
}
const expected = JSON.parse(readFileSync(expectPath, 'utf8'));
const quoted = (s) => `'${s.replaceAll("'", "''")}'`;
// Exactly the doc's form: no compression argument (DuckDB tells zstd from the .zst suffix).
const lake = `read_json(${quoted(`${lakeDir}/**/*.ndjson.zst`)}, format='newline_delimited')`;

let instance;
let connection;

before(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});

after(() => {
  connection?.closeSync();
  instance?.closeSync();
});

async function rows(sql) {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJson();
}

test('every line of every file is read, each position once', async () => {
  const [row] = await rows(
    `SELECT count(*) AS lines, count(DISTINCT (topic, "partition", "offset")) AS positions
     FROM ${lake}`);
  assert.equal(Number(row.lines), expected.lines);
  assert.equal(Number(row.positions), expected.lines);
});

test('counts per event type of the bus', async () => {
  const got = {};
  for (const row of await rows(
    `SELECT event.type AS type, count(*) AS n FROM ${lake}
     WHERE topic = 'bus' GROUP BY 1 ORDER BY 1`)) {
    got[row.type] = Number(row.n);
  }
  assert.deepEqual(got, expected.types);
});

test('a sum over a numeric field of the events', async () => {
  const [row] = await rows(
    `SELECT sum(event.order.total) AS total FROM ${lake} WHERE topic = 'bus'`);
  assert.equal(Number(row.total), expected.order_total_sum);
});

test('an explicit compression argument reads the same lines', async () => {
  const [row] = await rows(
    `SELECT count(*) AS lines FROM read_json(${quoted(`${lakeDir}/**/*.ndjson.zst`)},
       format='newline_delimited', compression='zstd')`);
  assert.equal(Number(row.lines), expected.lines);
});
