"""kafkajs 2.2.4 against a real `tarn serve`: runs kafkajs_test.mjs with `node --test` (admin,
producers, and a consumer group that shares partitions, commits and resumes at its commits),
then reads back every record it acknowledged with confluent-kafka and compares key, value,
headers, timestamp and offset.

kafkajs is installed by `scripts/setup --test` (npm ci in tests/compat); without it this test
fails.

Run: /usr/bin/python3 tests/compat/test_kafkajs.py --tarn build/release/src/app/tarn
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import ServerTestCase, run_node_test  # noqa: E402
from test_confluent_kafka import read_all  # noqa: E402


def unhex(s):
    return None if s is None else bytes.fromhex(s)


class KafkajsTest(ServerTestCase):
    # A short initial rebalance delay, so that the group test's first rebalance does not wait.
    SERVER_ARGS = ("--group-initial-rebalance-delay-ms", "300")

    def test_kafkajs(self):
        out_path = os.path.join(self.server.work_dir, "kafkajs-produced.json")
        run_node_test(self, "kafkajs_test.mjs", "kafkajs",
                      dict(TARN_BOOTSTRAP=self.bootstrap, TARN_KAFKAJS_OUT=out_path), 120)

        with open(out_path) as f:
            produced = json.load(f)
        self.assertTrue(produced, "kafkajs_test.mjs recorded nothing")
        for topic, records in produced.items():
            with self.subTest(topic=topic):
                partitions = sorted({r["partition"] for r in records})
                got = read_all(self.bootstrap, topic, partitions)
                by_position = {(m.partition(), m.offset()): m for p in got for m in got[p]}
                self.assertEqual(len(by_position), len(records),
                                 "the topic holds exactly what kafkajs acknowledged")
                for r in records:
                    where = (r["partition"], r["offset"])
                    self.assertIn(where, by_position)
                    m = by_position[where]
                    self.assertEqual(m.key(), unhex(r["key"]), where)
                    self.assertEqual(m.value(), unhex(r["value"]), where)
                    self.assertEqual(m.headers() or [],
                                     [(k, unhex(v)) for k, v in r["headers"]], where)
                    self.assertEqual(m.timestamp()[1], r["timestamp"], where)


if __name__ == "__main__":
    tarn_server.main()
