"""The consumer-group scenario every Python client goes through (test_groups_*.py pick the
client): three members of one group, each its own process (group_consumer.py), share a topic of
six partitions; one is SIGKILLed and its partitions move to the other two; nothing produced is
lost; restarted members resume exactly at the committed offsets; committed offsets survive a
SIGKILL of the broker.

Delivery is at least once: a record may be read twice (by the crashed member and by the one that
takes its partition over), but every record is read, and after a clean stop nothing before the
committed offsets is read again.
"""

import collections
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tarn_server import COMPAT_DIR, PYTHON, spawn, wait_until  # noqa: E402

from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

PARTITIONS = 6
MEMBERS = 3
DEADLINE_S = 60          # for anything that involves a rebalance (session timeout: 6 s)
STOP_DEADLINE_S = 30


class Member:
    """One group_consumer.py process and what it wrote."""

    def __init__(self, work_dir, client, bootstrap, group, topic, name):
        self.name = name
        self.output = os.path.join(work_dir, f"{name}.out")
        self.log_path = os.path.join(work_dir, f"{name}.log")
        self.log = open(self.log_path, "wb")
        self.process = spawn([PYTHON, os.path.join(COMPAT_DIR, "group_consumer.py"), client,
                              bootstrap, group, topic, self.output],
                             stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

    def lines(self):
        try:
            with open(self.output) as f:
                return [line.split() for line in f.read().splitlines() if line]
        except FileNotFoundError:
            return []

    def assignment(self):
        """The partitions of its latest assignment; None before the first."""
        current = None
        for fields in self.lines():
            if fields[0] == "A":
                current = set(int(p) for p in fields[1].split(",")) if len(fields) > 1 else set()
        return current

    def records(self):
        """(partition, offset, key) of every record it processed, in order."""
        return [(int(f[1]), int(f[2]), f[3]) for f in self.lines()
                if f[0] == "R" and len(f) == 4]

    def check_alive(self):
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}\n"
                                 f"{self.log_text()}")

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.log.close()

    def stop(self):
        """SIGTERM: it closes its consumer (leaving the group). Returns the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"{self.name} did not stop within {STOP_DEADLINE_S}s\n"
                                     f"{self.log_text()}")
        self.log.close()
        return self.process.returncode

    def log_text(self, limit=6000):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-limit:]


def create_topic(bootstrap, topic, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=10)
    for f in futures.values():
        f.result(timeout=30)


def produce(bootstrap, topic, first, last):
    """Produces keys k<first>..k<last-1>, record i to partition i % PARTITIONS; returns
    {key: (partition, offset)} from the delivery reports."""
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    delivered = {}
    errors = []

    def report(err, msg):
        if err is not None:
            errors.append(err)
        else:
            delivered[msg.key().decode()] = (msg.partition(), msg.offset())

    for i in range(first, last):
        producer.produce(topic, key=f"k{i}", value=f"v{i}", partition=i % PARTITIONS,
                         on_delivery=report)
        producer.poll(0)
    remaining = producer.flush(DEADLINE_S)
    assert remaining == 0 and not errors, f"{remaining} undelivered, errors: {errors}"
    return delivered


def end_offsets(delivered):
    ends = collections.defaultdict(int)
    for partition, offset in delivered.values():
        ends[partition] = max(ends[partition], offset + 1)
    return dict(ends)


class GroupScenario:
    """Mixed into a ServerTestCase; CLIENT is "confluent" or "kafka-python"."""

    CLIENT = None
    # A short initial rebalance delay, so that the first rebalance does not wait 3 s.
    SERVER_ARGS = ("--group-initial-rebalance-delay-ms", "300")

    def committed(self, group, topic):
        """{partition: committed offset} as the client under test reads it (OffsetFetch)."""
        if self.CLIENT == "confluent":
            from confluent_kafka import Consumer, TopicPartition
            c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                          "enable.auto.commit": False})
            try:
                got = c.committed([TopicPartition(topic, p) for p in range(PARTITIONS)],
                                  timeout=20)
                return {tp.partition: tp.offset for tp in got}
            finally:
                c.close()
        from kafka import KafkaConsumer, TopicPartition
        c = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=group,
                          enable_auto_commit=False)
        try:
            out = {}
            for p in range(PARTITIONS):
                value = c.committed(TopicPartition(topic, p))
                out[p] = -1001 if value is None else value
            return out
        finally:
            c.close()

    def start_members(self, work_dir, group, topic, prefix):
        members = [Member(work_dir, self.CLIENT, self.bootstrap, group, topic, f"{prefix}{i}")
                   for i in range(MEMBERS)]
        self.addCleanup(lambda: [m.kill() for m in members])
        return members

    def wait_for_keys(self, members, keys, what):
        def all_read():
            for m in members:
                if m.process.poll() is not None and m.process.returncode not in (0, -9):
                    m.check_alive()
            read = set()
            for m in members:
                read.update(key for _, _, key in m.records())
            return keys <= read
        wait_until(all_read, DEADLINE_S, what, interval_s=0.1)

    def test_group_shares_partitions_survives_a_crash_and_resumes_from_commits(self):
        topic = self.unique_topic(f"groups-{self.CLIENT}")
        group = f"{topic}-group"
        work_dir = os.path.join(self.server.work_dir, topic)
        os.makedirs(work_dir)
        create_topic(self.bootstrap, topic, PARTITIONS)

        produced = produce(self.bootstrap, topic, 0, 300)
        members = self.start_members(work_dir, group, topic, "member")

        def shared_by_all():
            for m in members:
                m.check_alive()
            assignments = [m.assignment() for m in members]
            if any(not a for a in assignments):
                return False
            return set().union(*assignments) == set(range(PARTITIONS)) and \
                sum(len(a) for a in assignments) == PARTITIONS
        wait_until(shared_by_all, DEADLINE_S, "three members sharing six partitions", 0.1)
        self.wait_for_keys(members, set(produced), "the first 300 records to be read")

        # A member crashes: no LeaveGroup, so its session must lapse before its partitions move.
        victim, survivors = members[0], members[1:]
        lost = victim.assignment()
        victim.kill()
        killed_at = time.monotonic()
        more = produce(self.bootstrap, topic, 300, 600)
        produced.update(more)

        def taken_over():
            for m in survivors:
                m.check_alive()
            owned = [m.assignment() or set() for m in survivors]
            return set().union(*owned) == set(range(PARTITIONS))
        wait_until(taken_over, DEADLINE_S, f"partitions {sorted(lost)} to move to the others", 0.1)
        print(f"\n{self.CLIENT}: partitions {sorted(lost)} moved "
              f"{time.monotonic() - killed_at:.1f}s after the SIGKILL", file=sys.stderr)
        # Nothing is lost: every record is read by someone (some perhaps twice).
        self.wait_for_keys(members, set(produced), "every record to be read after the crash")

        ends = end_offsets(produced)
        wait_until(lambda: self.committed(group, topic) == ends, DEADLINE_S,
                   "the survivors' commits to reach the end of every partition", 0.5)
        for m in survivors:
            self.assertEqual(m.stop(), 0, m.log_text())
        committed = self.committed(group, topic)
        self.assertEqual(committed, ends)

        # Restarted members resume at the committed offsets, not before.
        third = produce(self.bootstrap, topic, 600, 720)
        restarted = self.start_members(work_dir, group, topic, "restarted")
        self.wait_for_keys(restarted, set(third), "the records produced while the group was down")
        first_read = {}
        for m in restarted:
            for partition, offset, _ in m.records():
                first_read[partition] = min(offset, first_read.get(partition, offset))
        self.assertEqual(first_read, committed)
        ends = end_offsets({**produced, **third})
        wait_until(lambda: self.committed(group, topic) == ends, DEADLINE_S,
                   "the restarted members' commits", 0.5)
        for m in restarted:
            self.assertEqual(m.stop(), 0, m.log_text())

        # Acknowledged commits are on disk: they survive a SIGKILL of the broker.
        self.server.kill()
        self.server.start()
        self.assertEqual(self.committed(group, topic), ends)
