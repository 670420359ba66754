// Runs one SQL query with DuckDB (@duckdb/node-api) and prints its rows as a JSON array: how
// test_lake.py shows that a third-party engine reads the lake's files as they are.
//   node lake_duckdb_query.mjs "<sql>"
import { DuckDBInstance } from '@duckdb/node-api';

const sql = process.argv[2];
if (!sql) {
  console.error('usage: node lake_duckdb_query.mjs "<sql>"');
  process.exit(2);
}
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const reader = await connection.runAndReadAll(sql);
const rows = reader.getRowObjectsJson();
console.log(JSON.stringify(rows));
