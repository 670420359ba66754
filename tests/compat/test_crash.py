"""Crash recovery with idempotent producers: SIGKILLs `tarn serve` several times while an
idempotent acks=all producer (crash_producer.py) writes to a 4-partition topic, restarts it on
the same data directory and Kafka port, and after every restart reads the whole log back and
checks that

  * the log reads end to end: every partition from offset 0 to its high watermark, offsets dense,
    every record decodes;
  * every acknowledged record is at the partition and offset it was acknowledged at, and occurs
    exactly once in the whole log;
  * per partition, each producer session's records are in the order they were sent, with no
    duplicates (an unacknowledged record may be present once, or absent).

Odd rounds also SIGKILL the producer and start a new producer session; in even rounds the same
producer rides through the broker's restart and retries its unacknowledged batches, which the
broker must deduplicate from the producer state it recovers. $TARN_CRASH_SEED replays a run.

Run: /usr/bin/python3 tests/compat/test_crash.py --tarn build/release/src/app/tarn
"""

import collections
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import COMPAT_DIR, PYTHON, ServerTestCase, spawn, wait_until  # noqa: E402

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaException, Producer,  # noqa: E402
                             TopicPartition)
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # noqa: E402

ROUNDS = 5
PARTITIONS = 4
ROUND_DEADLINE_S = 20      # to see the acknowledgements a round waits for
READ_DEADLINE_S = 30


class ProducerProcess:
    """One session of crash_producer.py; its stderr goes to a log file."""

    def __init__(self, work_dir, bootstrap, topic, session, ack_path):
        self.session = session
        self.log_path = os.path.join(work_dir, f"producer-{session}.log")
        self.log = open(self.log_path, "wb")
        self.process = spawn([PYTHON, os.path.join(COMPAT_DIR, "crash_producer.py"), bootstrap,
                              topic, str(PARTITIONS), str(session), ack_path],
                             stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

    def check_alive(self):
        if self.process.poll() is not None:
            raise AssertionError(f"producer session {self.session} exited with "
                                 f"{self.process.returncode}\n{self.log_text()}")

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.log.close()

    def stop(self, timeout_s=45):
        """SIGTERM: it stops sending and flushes. Returns its exit code (None if it had to be
        killed)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        self.log.close()
        return self.process.returncode

    def log_text(self, limit=8000):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-limit:]


def read_acks(path):
    """Acknowledged records: list of (partition, offset, session, seq), whole lines only."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read().decode()
    acks = []
    for line in data.split("\n")[:-1]:  # the last piece is "" or a line being written
        p, o, session, seq = line.split()
        acks.append((int(p), int(o), int(session), int(seq)))
    return acks


def read_log(bootstrap, topic):
    """Every record of every partition, from 0 to the high watermark at the time of the call:
    {partition: [(offset, value bytes), ...]}. Raises on any consumer error."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"crash-{os.getpid()}",
                         "enable.auto.commit": False, "auto.offset.reset": "error",
                         "socket.timeout.ms": 10000})
    try:
        high = {}
        for p in range(PARTITIONS):
            low, high[p] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            assert low == 0, f"partition {p}: low watermark {low}, want 0 (no retention here)"
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
        log = {p: [] for p in range(PARTITIONS)}
        deadline = time.monotonic() + READ_DEADLINE_S
        while any(len(log[p]) < high[p] for p in range(PARTITIONS)):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"read {[len(log[p]) for p in range(PARTITIONS)]} records of high "
                    f"watermarks {high} within {READ_DEADLINE_S}s")
            for msg in consumer.consume(num_messages=5000, timeout=0.2):
                if msg.error():
                    raise KafkaException(msg.error())
                p = msg.partition()
                if msg.offset() >= high[p]:
                    continue  # written after the high watermarks were taken
                expected = len(log[p])
                if msg.offset() != expected:
                    raise AssertionError(f"partition {p}: read offset {msg.offset()} where "
                                         f"{expected} was next: offsets are not dense")
                log[p].append((msg.offset(), msg.value()))
        return log
    finally:
        consumer.close()


def check(log, acks):
    """The invariants of the module docstring. Returns a list of violations (empty: all hold)."""
    problems = []
    occurrences = collections.Counter()
    last_seq = {}  # (partition, session) -> (offset, seq)
    for p, records in log.items():
        for offset, value in records:
            try:
                session, seq = (int(x) for x in value.decode().split(":"))
            except (ValueError, AttributeError):
                problems.append(f"{p}/{offset}: undecodable value {value!r}")
                continue
            occurrences[(session, seq)] += 1
            if seq % PARTITIONS != p:
                problems.append(f"{p}/{offset}: {session}:{seq} belongs to partition "
                                f"{seq % PARTITIONS}")
            prev = last_seq.get((p, session))
            if prev is not None and seq <= prev[1]:
                problems.append(f"partition {p}: session {session} record {seq} at offset "
                                f"{offset} after record {prev[1]} at offset {prev[0]} "
                                f"({'duplicate' if seq == prev[1] else 'out of order'})")
            last_seq[(p, session)] = (offset, seq)

    acked_at = {}
    for p, o, session, seq in acks:
        if (p, o) in acked_at and acked_at[(p, o)] != (session, seq):
            problems.append(f"{p}/{o} acknowledged twice: for {acked_at[(p, o)]} and "
                            f"{(session, seq)}")
        acked_at[(p, o)] = (session, seq)
        records = log.get(p, [])
        if o >= len(records):
            problems.append(f"acknowledged {session}:{seq} at {p}/{o} is missing: partition "
                            f"{p} ends at {len(records)}")
            continue
        if records[o][1] != f"{session}:{seq}".encode():
            problems.append(f"acknowledged {session}:{seq} at {p}/{o}, but {p}/{o} holds "
                            f"{records[o][1]!r}")
        if occurrences[(session, seq)] != 1:
            problems.append(f"acknowledged {session}:{seq} occurs "
                            f"{occurrences[(session, seq)]} times")
    return problems


class CrashTest(ServerTestCase):

    def test_sigkill_during_idempotent_produce(self):
        seed = int(os.environ.get("TARN_CRASH_SEED", random.randrange(1 << 30)))
        print(f"seed {seed} (TARN_CRASH_SEED={seed} replays the kill schedule)")
        rng = random.Random(seed)
        topic = "crash"
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        admin.create_topics([NewTopic(topic, PARTITIONS, 1)],
                            operation_timeout=10)[topic].result(timeout=20)
        del admin  # it would log every broker kill

        work_dir = self.server.work_dir
        ack_path = os.path.join(work_dir, "acks.txt")
        session = 0
        producer = ProducerProcess(work_dir, self.bootstrap, topic, session, ack_path)
        producers = [producer]
        try:
            for round_number in range(ROUNDS):
                # A random moment: after a random number of further acknowledgements.
                target = len(read_acks(ack_path)) + rng.randint(200, 2500)

                def enough_acks():
                    producer.check_alive()
                    return len(read_acks(ack_path)) >= target

                wait_until(enough_acks, ROUND_DEADLINE_S,
                           f"round {round_number}: {target} acknowledgements")
                self.server.kill()
                new_session = round_number % 2 == 1
                if new_session:
                    producer.kill()
                self.server.restart(same_port=True)
                acks = read_acks(ack_path)
                problems = check(read_log(self.bootstrap, topic), acks)
                print(f"round {round_number}: killed after {len(acks)} acknowledgements"
                      f"{' (and the producer)' if new_session else ''}; restart #"
                      f"{self.server.starts - 1} checked: {len(problems)} problems")
                self.assertEqual(problems[:30], [], f"after restart #{round_number + 1}")
                if new_session:
                    session += 1
                    producer = ProducerProcess(work_dir, self.bootstrap, topic, session,
                                               ack_path)
                    producers.append(producer)

            # Let the last producer make progress after the last restart, then drain it.
            target = len(read_acks(ack_path)) + 200
            wait_until(lambda: producer.check_alive() or len(read_acks(ack_path)) >= target,
                       ROUND_DEADLINE_S, "acknowledgements after the last restart")
            code = producer.stop()
            self.assertEqual(code, 0, f"producer session {session} did not stop cleanly\n"
                             f"{producer.log_text()}")
            acks = read_acks(ack_path)
            log = read_log(self.bootstrap, topic)
            problems = check(log, acks)
            total = sum(len(r) for r in log.values())
            print(f"final: {len(acks)} acknowledged records, {total} records in the log, "
                  f"{total - len(acks)} unacknowledged ones, {len(problems)} problems")
            self.assertEqual(problems[:30], [])
            self.assertEqual(len({(s, q) for _, _, s, q in acks}), len(acks),
                             "a record was acknowledged twice")
            # No producer saw a record fail: records outlive a restart in the producer's queue.
            for p in producers:
                self.assertNotIn("delivery failed", p.log_text(1_000_000),
                                 f"producer session {p.session}")
        except BaseException:
            for p in producers:
                sys.stderr.write(f"---- producer session {p.session} ----\n{p.log_text()}\n")
            raise
        finally:
            for p in producers:
                p.kill()

    def test_sigterm_restart_keeps_topics_configs_and_records(self):
        topic = "restart"
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        admin.create_topics([NewTopic(topic, PARTITIONS, 1,
                                      config={"retention.ms": "86400000"})],
                            operation_timeout=10)[topic].result(timeout=20)
        del admin

        def produce(first_seq, count):
            producer = Producer({"bootstrap.servers": self.bootstrap,
                                 "enable.idempotence": True, "acks": "all"})
            acks = []
            for seq in range(first_seq, first_seq + count):
                producer.produce(topic, value=f"9:{seq}".encode(), partition=seq % PARTITIONS,
                                 on_delivery=lambda err, m: acks.append(
                                     (err, m.partition(), m.offset(), m.value())))
            self.assertEqual(producer.flush(20), 0)
            self.assertEqual([a for a in acks if a[0] is not None], [])
            return [(p, o, 9, int(v.decode().split(":")[1])) for _, p, o, v in acks]

        acks = produce(0, 400)
        self.assertEqual(self.server.stop(), 0, "tarn serve did not exit 0 on SIGTERM")
        with open(self.server.log_path, "rb") as f:
            self.assertIn(b"shut down cleanly", f.read())
        self.server.start()  # new ports, same data directory
        acks += produce(400, 400)  # a new producer continues after the recovered records
        log = read_log(self.bootstrap, topic)
        self.assertEqual(check(log, acks), [])
        self.assertEqual([len(log[p]) for p in range(PARTITIONS)], [200] * PARTITIONS)
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        resource = ConfigResource("topic", topic)
        configs = admin.describe_configs([resource])[resource].result(timeout=20)
        self.assertEqual(configs["retention.ms"].value, "86400000")


if __name__ == "__main__":
    tarn_server.main()
