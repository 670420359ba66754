"""Consumer-group soak: a bounded run that produces and consumes through one consumer group while
members keep joining, leaving and dying, then checks what came out.

  /usr/bin/python3 bench/soak/soak.py --tarn build/release/src/app/tarn [--seconds 600]

What runs, all against one `tarn serve` on 127.0.0.1 with a fresh data directory:
  * a producer (confluent-kafka, acks=all, idempotent) sending keyed records at a fixed rate to
    a topic of PARTITIONS partitions, recording every acknowledged (partition, offset);
  * group members (soak_member.py, one process each) that consume, write what they consumed to
    their own file, and commit after processing;
  * churn: every CHURN_S seconds one member starts, stops cleanly (LeaveGroup) or is SIGKILLed
    (evicted when its session times out), keeping between MIN_MEMBERS and MAX_MEMBERS alive;
  * a watcher that reads the group's committed offsets every second (OffsetFetch) and the
    server's resident memory.

At the end every member stops, one last member drains the topic, and the checker requires:
  1. every acknowledged record was consumed at least once (duplicates are counted, not errors:
     a rebalance replays what was consumed after the last commit);
  2. no committed offset ever went backwards;
  3. memory stayed flat: the server's RSS over the last quarter of the run is within
     RSS_GROWTH_LIMIT of its RSS over the second quarter (after warm-up).
It prints one JSON summary (also written to --out) and exits 1 when a check fails.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "compat"))
import tarn_server  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

PARTITIONS = 6
GROUP = "soak"
TOPIC = "soak"
CHURN_S = 4.0
MIN_MEMBERS, MAX_MEMBERS = 2, 5
SESSION_TIMEOUT_MS = 6000
RSS_GROWTH_LIMIT = 0.25
DRAIN_S = 120


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Members:
    """The member processes, each writing "partition offset" lines to its own file."""

    def __init__(self, bootstrap, work_dir):
        self.bootstrap = bootstrap
        self.work_dir = work_dir
        self.live = []
        self.files = []
        self.started = self.left = self.killed = 0

    def start(self, drain_idle_s=0):
        path = os.path.join(self.work_dir, f"member-{len(self.files)}.txt")
        self.files.append(path)
        args = [tarn_server.PYTHON, os.path.join(HERE, "soak_member.py"), "--bootstrap",
                self.bootstrap, "--group", GROUP, "--topic", TOPIC, "--out", path,
                "--session-timeout-ms", str(SESSION_TIMEOUT_MS)]
        if drain_idle_s:
            args += ["--exit-when-idle-s", str(drain_idle_s)]
        proc = tarn_server.spawn(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.live.append(proc)
        self.started += 1
        return proc

    def stop_one(self, kill):
        proc = self.live.pop(random.randrange(len(self.live)))
        if kill:
            proc.kill()
            self.killed += 1
        else:
            proc.send_signal(signal.SIGTERM)
            self.left += 1
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self):
        while self.live:
            self.stop_one(kill=False)

    def consumed(self):
        seen = {}
        for path in self.files:
            if not os.path.exists(path):
                continue
            with open(path) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 2:
                        key = (int(parts[0]), int(parts[1]))
                        seen[key] = seen.get(key, 0) + 1
        return seen


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tarn", required=True)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--rate", type=int, default=2000, help="records per second")
    parser.add_argument("--out", default=None, help="write the JSON summary here too")
    args = parser.parse_args()
    os.environ["TARN_BIN"] = args.tarn

    work_dir = tempfile.mkdtemp(prefix="tarn-soak-")
    server = tarn_server.TarnServer(
        extra_args=["--group-initial-rebalance-delay-ms", "500"], name="soak")
    server.start()
    problems = []
    try:
        admin = AdminClient({"bootstrap.servers": server.bootstrap})
        admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])[TOPIC].result(30)

        acked = set()
        acked_lock = threading.Lock()
        stop = threading.Event()

        def on_delivery(err, msg):
            if err is None:
                with acked_lock:
                    acked.add((msg.partition(), msg.offset()))

        def produce():
            producer = Producer({"bootstrap.servers": server.bootstrap, "acks": "all",
                                 "enable.idempotence": True, "linger.ms": 5})
            start, sent = time.monotonic(), 0
            while not stop.is_set():
                due = start + sent / args.rate
                now = time.monotonic()
                if due > now:
                    time.sleep(min(due - now, 0.05))
                    producer.poll(0)
                    continue
                producer.produce(TOPIC, f"value-{sent}".encode(), key=f"k{sent % 997}".encode(),
                                 on_delivery=on_delivery)
                sent += 1
                if sent % 100 == 0:
                    producer.poll(0)
            producer.flush(60)

        committed_max = {}
        regressions = []
        rss_samples = []

        def watch():
            watcher = Consumer({"bootstrap.servers": server.bootstrap, "group.id": GROUP,
                                "enable.auto.commit": False})
            partitions = [TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
            t0 = time.monotonic()
            while not stop.wait(1.0):
                rss_samples.append((time.monotonic() - t0, rss_bytes(server.process.pid)))
                try:
                    for tp in watcher.committed(partitions, timeout=10):
                        if tp.offset < 0:
                            continue
                        before = committed_max.get(tp.partition, -1)
                        if tp.offset < before:
                            regressions.append((tp.partition, before, tp.offset))
                        committed_max[tp.partition] = max(before, tp.offset)
                except Exception as e:  # noqa: BLE001 - a slow answer is not a regression
                    print(f"soak: committed() failed: {e}", file=sys.stderr)
            watcher.close()

        members = Members(server.bootstrap, work_dir)
        for _ in range(3):
            members.start()
        threads = [threading.Thread(target=produce), threading.Thread(target=watch)]
        for t in threads:
            t.start()

        started = time.monotonic()
        while time.monotonic() - started < args.seconds:
            time.sleep(CHURN_S)
            n = len(members.live)
            choice = random.choice(["join", "leave", "kill"])
            if n <= MIN_MEMBERS or (choice == "join" and n < MAX_MEMBERS):
                members.start()
            else:
                members.stop_one(kill=(choice == "kill"))
        stop.set()
        for t in threads:
            t.join(120)
        members.stop_all()

        # One last member drains whatever the group has not consumed yet.
        drainer = members.start(drain_idle_s=15)
        try:
            drainer.wait(timeout=DRAIN_S)
        except subprocess.TimeoutExpired:
            drainer.kill()
            problems.append("the final member did not finish draining in time")
        members.live.clear()

        consumed = members.consumed()
        missing = sorted(acked - consumed.keys())
        duplicates = sum(c - 1 for c in consumed.values() if c > 1)
        if missing:
            problems.append(f"{len(missing)} acknowledged records never consumed, "
                            f"first {missing[:5]}")
        if regressions:
            problems.append(f"committed offsets went backwards {len(regressions)} times, "
                            f"first {regressions[:5]}")

        quarter = args.seconds / 4
        q2 = [r for t, r in rss_samples if quarter <= t < 2 * quarter]
        q4 = [r for t, r in rss_samples if t >= 3 * quarter]
        rss_q2 = sum(q2) / len(q2) if q2 else 0
        rss_q4 = sum(q4) / len(q4) if q4 else 0
        growth = (rss_q4 - rss_q2) / rss_q2 if rss_q2 else 0
        if growth > RSS_GROWTH_LIMIT:
            problems.append(f"server memory grew {growth:.0%} from the second to the last quarter")

        summary = {
            "seconds": args.seconds, "rate": args.rate, "partitions": PARTITIONS,
            "acked": len(acked), "consumed_distinct": len(consumed),
            "missing": len(missing), "duplicates": duplicates,
            "members_started": members.started, "members_left": members.left,
            "members_killed": members.killed,
            "committed_checks": len(rss_samples), "committed_regressions": len(regressions),
            "rss_mib_second_quarter": round(rss_q2 / 2**20, 1),
            "rss_mib_last_quarter": round(rss_q4 / 2**20, 1),
            "rss_mib_max": round(max((r for _, r in rss_samples), default=0) / 2**20, 1),
            "problems": problems,
        }
        text = json.dumps(summary, indent=2)
        print(text)
        if args.out:
            with open(args.out, "w") as f:
                f.write(text + "\n")
    finally:
        server.close()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
