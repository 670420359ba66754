"""`tarn group list|describe|reset-offsets` against a real `tarn serve`, with a confluent-kafka
group member (a static member: group.instance.id) in its own process (group_consumer.py); and
`__consumer_offsets` as clients see it: internal, hidden from `tarn topic list`, not writable.

Run: /usr/bin/python3 tests/compat/test_group_cli.py --tarn build/release/src/app/tarn
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import COMPAT_DIR, PYTHON, ServerTestCase, run, spawn, wait_until  # noqa: E402

DEADLINE_S = 30


class GroupCliTest(ServerTestCase):
    SERVER_ARGS = ("--group-initial-rebalance-delay-ms", "100")

    def tarn(self, *args, check=True):
        return run([tarn_server.tarn_binary(), *args, "--brokers", self.bootstrap], 30,
                   check=check)

    def describe(self, group):
        return self.tarn("group", "describe", group).stdout

    def committed(self, group):
        """{partition: committed offset or None} from the describe table."""
        rows = {}
        for line in self.describe(group).splitlines():
            m = re.match(r"^(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$", line)
            if m and m.group(1) != "TOPIC":
                rows[int(m.group(2))] = None if m.group(3) == "-" else int(m.group(3))
        return rows

    def test_list_describe_and_reset_offsets(self):
        topic = self.unique_topic("cli")
        group = f"{topic}-group"
        self.tarn("topic", "create", topic, "--partitions", "3")
        for p in range(3):
            run([tarn_server.tarn_binary(), "produce", topic, "--partition", str(p), "--key", "k",
                 "--brokers", self.bootstrap], 30, input="a\nb\nc\n")

        output = os.path.join(self.server.work_dir, f"{topic}.out")
        log = open(os.path.join(self.server.work_dir, f"{topic}.log"), "wb")
        member = spawn([PYTHON, os.path.join(COMPAT_DIR, "group_consumer.py"), "confluent",
                        self.bootstrap, group, topic, output, "instance-1"],
                       stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: (member.kill(), member.wait(), log.close()))

        wait_until(lambda: self.committed(group) == {0: 3, 1: 3, 2: 3}, DEADLINE_S,
                   "the member to read and commit all nine records", 0.2)
        listed = self.tarn("group", "list").stdout
        self.assertRegex(listed, rf"(?m)^GROUP\s+STATE\s+MEMBERS$")
        self.assertRegex(listed, rf"(?m)^{re.escape(group)}\s+Stable\s+1$")
        described = self.describe(group)
        self.assertIn(f"Group: {group}\nState: Stable\nProtocol: range\nMembers: 1\n", described)
        self.assertRegex(described, rf"(?m)^\S+\s+instance-1\s+rdkafka\s+/127\.0\.0\.1\s+"
                                    rf"{re.escape(topic)}/0,1,2$")
        self.assertRegex(described, rf"(?m)^{re.escape(topic)}\s+1\s+3\s+3\s+0\s+instance-1-\S+$")

        refused = self.tarn("group", "reset-offsets", "--group", group, "--topic", topic,
                            "--to-earliest", check=False)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("only while the group is Empty", refused.stderr)
        self.assertEqual(self.committed(group), {0: 3, 1: 3, 2: 3})

        # A static member does not leave on close: the group empties when its session lapses.
        member.terminate()
        member.wait(timeout=DEADLINE_S)
        wait_until(lambda: "State: Empty" in self.describe(group), DEADLINE_S,
                   "the group to become Empty", 0.2)

        dry = self.tarn("group", "reset-offsets", "--group", group, "--topic", topic,
                        "--to-earliest", "--dry-run").stdout
        self.assertEqual(dry, "TOPIC" + " " * (len(topic) - 5) + "  PARTITION  CURRENT  NEW\n" +
                         "".join(f"{topic}  {p}          3        0\n" for p in range(3)) +
                         "Dry run: no offsets were changed.\n")
        self.assertEqual(self.committed(group), {0: 3, 1: 3, 2: 3})

        self.tarn("group", "reset-offsets", "--group", group, "--topic", topic, "--partition", "0",
                  "--to-offset", "1")
        self.assertEqual(self.committed(group), {0: 1, 1: 3, 2: 3})
        self.tarn("group", "reset-offsets", "--group", group, "--topic", topic,
                  "--to-datetime", "2001-01-01T00:00:00Z")
        self.assertEqual(self.committed(group), {0: 0, 1: 0, 2: 0})
        self.tarn("group", "reset-offsets", "--group", group, "--topic", topic, "--to-latest")
        self.assertEqual(self.committed(group), {0: 3, 1: 3, 2: 3})
        # Far in the future: no record at or after it, so the end.
        self.tarn("group", "reset-offsets", "--group", group, "--topic", topic, "--to-earliest")
        self.tarn("group", "reset-offsets", "--group", group, "--topic", topic,
                  "--to-datetime", "2999-01-01")
        self.assertEqual(self.committed(group), {0: 3, 1: 3, 2: 3})

        no_target = self.tarn("group", "reset-offsets", "--group", group, "--topic", topic,
                              check=False)
        self.assertEqual(no_target.returncode, 2)

    def test_unknown_group_is_dead_and_empty(self):
        described = self.describe("no-such-group")
        self.assertEqual(described, "Group: no-such-group\nState: Dead\nProtocol: -\nMembers: 0\n")

    def test_consumer_offsets_is_internal(self):
        topic = self.unique_topic("visible")
        self.tarn("topic", "create", topic)
        names = self.tarn("topic", "list").stdout.split()
        self.assertIn(topic, names)
        self.assertNotIn("__consumer_offsets", names)
        self.assertIn("__consumer_offsets", self.tarn("topic", "list", "--internal").stdout.split())
        produced = run([tarn_server.tarn_binary(), "produce", "__consumer_offsets", "x",
                        "--brokers", self.bootstrap], 30, check=False)
        self.assertEqual(produced.returncode, 1)
        self.assertIn("Invalid topic", produced.stderr)
        deleted = self.tarn("topic", "delete", "__consumer_offsets", check=False)
        self.assertEqual(deleted.returncode, 1)
        self.assertIn("__consumer_offsets", self.tarn("topic", "list", "--internal").stdout.split())


if __name__ == "__main__":
    tarn_server.main()
