"""Events per second through the router with 1, 100 and 10,000 rules (bench/README.md).

For each rule count: a fresh `tarn serve` (its bus with 3 partitions) gets --events envelopes
of about 300 bytes from a librdkafka producer (confluent-kafka); every lane's consumer group is
set to offset 0; the server restarts with the rules in its tarn.yaml, so that its lanes start
on a full bus; the time from the first sight of the lanes to the moment every event is
delivered gives the rate. Each rule matches one value of `order.region` and routes to one of
ten channels (rule i -> channel i % 10), and every event's region names exactly one rule, so
each event is matched and delivered once whatever the rule count. Every run is bounded in time.

  /usr/bin/python3 bench/router/router_bench.py --tarn build/release/src/app/tarn
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "compat"))
import tarn_server  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

PARTITIONS = 3
CHANNELS = 10


def rules_yaml(count):
    lines = ["rules:"]
    for i in range(count):
        lines.append(f"  - name: rule-{i}")
        lines.append(f"    pattern: {{type: [order-placed], order: {{region: [r{i}]}}}}")
        lines.append(f"    targets: [{{channel: bench-{i % CHANNELS}}}]")
    return "\n".join(lines) + "\n"


def lanes(http_port):
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v1/router/lanes", timeout=10) as r:
        return json.loads(r.read())["lanes"]


def produce(bootstrap, events, rule_count, seed):
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all",
                         "enable.idempotence": True, "queue.buffering.max.messages": 1_000_000})
    rng = random.Random(seed)
    for n in range(events):
        key = f"order-{n % 1000}"
        event = {"id": f"o-{n}", "type": "order-placed", "timestamp": 1700000000000 + n,
                 "partitionKey": key, "tags": {"source": "bench"},
                 "order": {"region": f"r{rng.randrange(rule_count)}", "n": n, "total": n % 997,
                           "lines": [{"sku": f"sku-{n % 50}", "qty": 1 + n % 3}]}}
        while True:
            try:
                producer.produce("bus", key=key, value=json.dumps(event).encode())
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    if producer.flush(120) != 0:
        raise RuntimeError("the producer could not deliver every event")


def reset_lane_groups(bootstrap):
    """Commits offset 0 on every bus partition for each lane's group, so that the lanes start at
    the beginning of the bus when the rules arrive."""
    for c in range(CHANNELS):
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"tarn-router.channel:bench-{c}",
                             "enable.auto.commit": False})
        consumer.commit(offsets=[TopicPartition("bus", p, 0) for p in range(PARTITIONS)], asynchronous=False)
        consumer.close()


def run_once(rule_count, events, max_seconds, seed):
    # No archiver: the router alone is measured (bench/lake.sh measures the lake).
    server = tarn_server.TarnServer(extra_args=["--default-partitions", str(PARTITIONS), "--no-lake"],
                                    name=f"router-bench-{rule_count}")
    try:
        server.start()
        produce(server.bootstrap, events, rule_count, seed)
        reset_lane_groups(server.bootstrap)
        server.stop()
        config = os.path.join(server.work_dir, "tarn.yaml")
        with open(config, "w") as f:
            f.write(rules_yaml(rule_count))
        server.extra_args += ["--config", config]
        started = time.monotonic()
        server.start()
        loaded_s = time.monotonic() - started
        t0, d0 = None, 0
        deadline = time.monotonic() + max_seconds
        while time.monotonic() < deadline:
            current = lanes(server.http_port)
            delivered = sum(lane["delivered"] for lane in current)
            now = time.monotonic()
            if t0 is None and current:
                t0, d0 = now, delivered
            if delivered >= events:
                elapsed = now - t0
                return {"rules": rule_count, "events": events, "lanes": len(current),
                        "seconds": round(elapsed, 3),
                        "events_per_s": round((events - d0) / elapsed) if elapsed > 0 else None,
                        "start_s": round(loaded_s, 2)}
            time.sleep(0.05)
        raise RuntimeError(f"{rule_count} rules: not every event was delivered within {max_seconds}s")
    finally:
        server.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tarn", required=True)
    parser.add_argument("--rules", default="1,100,10000")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    os.environ["TARN_BIN"] = os.path.abspath(args.tarn)

    results = []
    counts = [int(c) for c in args.rules.split(",")]
    order = []
    for rep in range(args.reps):  # A B C, C B A, ...: drift spreads over every count
        order += counts if rep % 2 == 0 else list(reversed(counts))
    for i, count in enumerate(order):
        result = run_once(count, args.events, args.max_seconds, seed=i)
        print(json.dumps(result), flush=True)
        results.append(result)
    print()
    print(f"{'rules':>7} {'lanes':>5} {'median events/s':>17}  runs")
    for count in counts:
        rates = [r["events_per_s"] for r in results if r["rules"] == count]
        lanes_used = next(r["lanes"] for r in results if r["rules"] == count)
        print(f"{count:>7} {lanes_used:>5} {statistics.median(rates):>17,.0f}  {', '.join(f'{x:,}' for x in rates)}")
    if args.out:
        with open(args.out, "w") as f:
            for r in results:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
