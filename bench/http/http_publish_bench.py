"""HTTP publishing beside librdkafka producing the same events (bench/README.md, "HTTP publish").

Each cell starts a fresh `tarn serve` (bus: 3 partitions, fsync before every acknowledgement),
registers a contract for `order-placed` (so HTTP validation really runs), then either
  http   POSTs batches of 100 envelopes (a JSON array) over kept-alive connections from
         --http-clients processes, every answer checked (200 and 100 positions), or
  kafka  produces the same envelopes, key = partitionKey, with confluent-kafka (librdkafka:
         acks=all, idempotent, linger 5 ms) from --kafka-clients processes.
Throughput: events acknowledged per second over the whole run (--events per cell). Latency: at a
fixed --rate events/s, open loop, the time from the scheduled send to the acknowledgement (a
batch's for HTTP, each record's for Kafka); p50/p99 over --latency-seconds. Cells run in the
order A B B A A B ... so drift spreads over both. Every cell is bounded in time.

  /usr/bin/python3 bench/http/http_publish_bench.py --tarn build/release/src/app/tarn
"""

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "compat"))
import tarn_server  # noqa: E402

PARTITIONS = 3
BATCH = 100
CONTRACT = {
    "type": "object",
    "required": ["order"],
    "properties": {
        "tags": {"type": "object", "properties": {"source": {"type": "string"}}},
        "order": {"type": "object", "required": ["id", "customer", "total", "currency", "lines"],
                  "properties": {
                      "id": {"type": "string", "pattern": "^o-[0-9]+$"},
                      "customer": {"type": "string", "minLength": 1},
                      "total": {"type": "number", "minimum": 0},
                      "currency": {"enum": ["EUR", "USD", "GBP"]},
                      "lines": {"type": "array", "maxItems": 50, "items": {
                          "type": "object", "required": ["sku", "qty"],
                          "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}}}}},
    },
}


def envelope(n):
    """An order-placed event of about 1 KiB."""
    lines = [{"sku": f"sku-{(n + i) % 500:05d}", "qty": 1 + (n + i) % 4, "price": 9.99 + i,
              "description": "a line of an order, long enough to make the event realistic"} for i in range(6)]
    return {"id": f"evt-{n}", "type": "order-placed", "timestamp": 1700000000000 + n,
            "partitionKey": f"order-{n % 1000}", "tags": {"source": "bench"},
            "order": {"id": f"o-{n}", "customer": f"customer-{n % 977}", "total": round(10 + n % 500 * 1.5, 2),
                      "currency": "EUR", "lines": lines}}


# --- HTTP -------------------------------------------------------------------------------------

def http_worker(port, first, count, out):
    """POSTs `count` events from `first` in batches, back to back, on one connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    bodies = [json.dumps([envelope(first + b * BATCH + i) for i in range(BATCH)]).encode()
              for b in range(count // BATCH)]
    failures = 0
    start = time.monotonic()
    for body in bodies:
        conn.request("POST", "/v1/events", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        answer = response.read()
        if response.status != 200 or len(json.loads(answer)["events"]) != BATCH:
            failures += 1
    out.put((start, time.monotonic(), len(bodies) * BATCH, failures))


def http_latency_worker(port, rate, seconds, out):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.connect()
    interval = BATCH / rate
    total = int(seconds / interval)
    bodies = [json.dumps([envelope(10_000_000 + b * BATCH + i) for i in range(BATCH)]).encode() for b in range(total)]
    latencies = []
    begin = time.monotonic() + 0.2
    for b, body in enumerate(bodies):
        scheduled = begin + b * interval
        delay = scheduled - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        conn.request("POST", "/v1/events", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status == 200:
            latencies.append(time.monotonic() - scheduled)
    out.put(latencies)


# --- Kafka ------------------------------------------------------------------------------------

def kafka_conf(bootstrap):
    return {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5,
            "queue.buffering.max.messages": 2_000_000, "queue.buffering.max.kbytes": 2_000_000}


def kafka_worker(bootstrap, first, count, out):
    from confluent_kafka import Producer
    producer = Producer(kafka_conf(bootstrap))
    values = [(f"order-{(first + i) % 1000}".encode(), json.dumps(envelope(first + i)).encode()) for i in range(count)]
    failures = [0]

    def delivered(err, msg):
        if err is not None:
            failures[0] += 1
    start = time.monotonic()
    for key, value in values:
        while True:
            try:
                producer.produce("bus", key=key, value=value, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    producer.flush(120)
    out.put((start, time.monotonic(), count, failures[0]))


def kafka_latency_worker(bootstrap, rate, seconds, out):
    from confluent_kafka import Producer
    conf = kafka_conf(bootstrap)
    conf["linger.ms"] = 0
    producer = Producer(conf)
    producer.produce("bus", key=b"warm-up", value=json.dumps(envelope(0)).encode())
    producer.flush(30)  # connected, producer id assigned: neither is charged to the first sends
    total = int(rate * seconds)
    values = [json.dumps(envelope(20_000_000 + i)).encode() for i in range(total)]
    latencies = []
    begin = time.monotonic() + 0.2
    for i, value in enumerate(values):
        scheduled = begin + i / rate
        while time.monotonic() < scheduled:
            producer.poll(0)
        producer.produce("bus", key=f"order-{i % 1000}".encode(), value=value,
                         on_delivery=lambda err, msg, s=scheduled: err is None and latencies.append(time.monotonic() - s))
        producer.poll(0)
    producer.flush(60)
    out.put(latencies)


# --- cells ------------------------------------------------------------------------------------

def start_server():
    server = tarn_server.TarnServer(extra_args=["--default-partitions", str(PARTITIONS)], name="http-bench")
    server.start()
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.http_port}/subjects/order-placed/versions",
        data=json.dumps({"schemaType": "JSON", "schema": json.dumps(CONTRACT)}).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()
    return server


def run_parallel(target, argsets, max_seconds):
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=target, args=(*a, out)) for a in argsets]
    for p in procs:
        p.start()
    results = [out.get(timeout=max_seconds) for _ in procs]
    for p in procs:
        p.join(30)
    return results


def throughput_cell(system, events, clients, max_seconds):
    server = start_server()
    try:
        per = events // clients // BATCH * BATCH
        if system == "http":
            results = run_parallel(http_worker, [(server.http_port, c * per, per) for c in range(clients)], max_seconds)
        else:
            results = run_parallel(kafka_worker, [(server.bootstrap, c * per, per) for c in range(clients)], max_seconds)
        start = min(r[0] for r in results)
        end = max(r[1] for r in results)
        sent = sum(r[2] for r in results)
        failures = sum(r[3] for r in results)
        return {"system": system, "cell": "throughput", "events": sent, "failures": failures,
                "seconds": round(end - start, 3), "events_per_s": round(sent / (end - start))}
    finally:
        server.close()


def latency_cell(system, rate, seconds, max_seconds):
    server = start_server()
    try:
        if system == "http":
            latencies = run_parallel(http_latency_worker, [(server.http_port, rate, seconds)], max_seconds)[0]
        else:
            latencies = run_parallel(kafka_latency_worker, [(server.bootstrap, rate, seconds)], max_seconds)[0]
        latencies.sort()

        def pct(p):
            return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)
        return {"system": system, "cell": "latency", "rate": rate, "samples": len(latencies),
                "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": round(latencies[-1] * 1000, 2)}
    finally:
        server.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tarn", required=True)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--http-clients", type=int, default=4)
    parser.add_argument("--kafka-clients", type=int, default=2)
    parser.add_argument("--rate", type=int, default=5_000, help="events/s in the latency cells")
    parser.add_argument("--latency-seconds", type=float, default=10)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=300)
    args = parser.parse_args()
    os.environ["TARN_BIN"] = os.path.abspath(args.tarn)

    results = []
    for rep in range(args.reps):
        order = ["http", "kafka"] if rep % 2 == 0 else ["kafka", "http"]
        for system in order:
            clients = args.http_clients if system == "http" else args.kafka_clients
            r = throughput_cell(system, args.events, clients, args.max_seconds)
            print(json.dumps(r), flush=True)
            results.append(r)
        for system in order:
            r = latency_cell(system, args.rate, args.latency_seconds, args.max_seconds)
            print(json.dumps(r), flush=True)
            results.append(r)

    def median(system, cell, field):
        return statistics.median(r[field] for r in results if r["system"] == system and r["cell"] == cell)
    http_rate, kafka_rate = median("http", "throughput", "events_per_s"), median("kafka", "throughput", "events_per_s")
    http_p99, kafka_p99 = median("http", "latency", "p99_ms"), median("kafka", "latency", "p99_ms")
    print()
    print(f"{'':8} {'events/s':>10} {'p50 ms':>8} {'p99 ms':>8}   (medians of {args.reps})")
    for system in ("http", "kafka"):
        print(f"{system:8} {median(system, 'throughput', 'events_per_s'):>10,.0f} "
              f"{median(system, 'latency', 'p50_ms'):>8} {median(system, 'latency', 'p99_ms'):>8}")
    print(f"http/kafka: throughput {http_rate / kafka_rate:.2f}x, p99 {http_p99 / kafka_p99:.2f}x")
    if any(r.get("failures") for r in results):
        print("some sends failed: see the records above")
        sys.exit(1)


if __name__ == "__main__":
    main()
