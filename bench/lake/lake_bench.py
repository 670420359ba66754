"""The lake benchmark (bench/README.md): archive throughput, and query time over the archive.

1. A fresh `tarn serve` with its archiver off (`--no-lake`) takes --events envelopes of
   --event-bytes bytes on its bus (3 partitions) from 3 librdkafka producers (confluent-kafka,
   acks=all, idempotent), one per partition: the hub's produce rate with these producers.
2. The server restarts with the archiver on; the time until the lake's files hold every record
   (GET /v1/lake/status, end positions = high watermarks) gives the archive rate: events/s, MB/s
   of lines, and the compression ratio (line bytes / file bytes). The archive rate over the
   produce rate says whether the lake keeps up with the hub.
3. `tarn lake query` over the archive, each --reps times: a type filter (one type of 20, 5 % of
   the events) and a time-range filter (one day of the events' 30), printing seconds and events.

The events' own timestamps spread over 30 days (one every 30 days / --events), their types over
20 names, so a time range prunes by manifest and a type filter reads every file. Every wait is
bounded.

  /usr/bin/python3 bench/lake/lake_bench.py --tarn build/release/src/app/tarn --events 10000000
"""

import argparse
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "compat"))
import tarn_server  # noqa: E402

PARTITIONS = 3
TYPES = 20
DAY_MS = 86_400_000
START_MS = 1_790_000_000_000  # 2026-09-21
SPAN_MS = 30 * DAY_MS


TYPE_LETTERS = "abcdefghijklmnopqrst"


# Words for --filler text: a note of words drawn at random from 2,000, as free text in business
# events reads (zstd takes it ~4x where it takes random hex ~2.9x).
WORDS = [f"{a}{b}" for a in ("ship", "pay", "order", "cust", "item", "stock", "note", "price", "tax", "box")
         for b in ("alpha", "beta", "gamma", "delta", "omega", "north", "south", "east", "west", "red",
                   "blue", "green", "fast", "slow", "big", "small", "new", "old", "hot", "cold")] * 10
WORDS = [f"{w}{i % 10}" for i, w in enumerate(WORDS)]


_TEXT = []  # 8 MiB of random words, made on first use; each note is a slice at a random place


def filler(length, kind):
    if kind == "hex":
        return os.urandom((length + 1) // 2).hex()[:length]
    if not _TEXT:
        rng = random.Random(os.getpid())
        _TEXT.append(" ".join(rng.choices(WORDS, k=(8 << 20) // 8)))
    text = _TEXT[0]
    start = random.randrange(len(text) - length)
    return text[start:start + length]


def event_bytes(n, events, size, kind="hex"):
    """An order envelope of `size` bytes whose note is `kind` filler: random hex (the default: the
    compression ratio is then a floor for real events) or words (`text`)."""
    key = f"order-{n % 10000}"
    head = (f'{{"id":"evt-{n:012d}","type":"order-{TYPE_LETTERS[n % TYPES]}",'
            f'"timestamp":{START_MS + n * SPAN_MS // events},"partitionKey":"{key}",'
            f'"tags":{{"source":"bench","region":"local"}},'
            f'"order":{{"id":"order-{n:012d}","customer":"customer-{n % 7919}","total":{n % 9973},'
            f'"currency":"EUR","lines":[{{"sku":"sku-{n % 500}","qty":1}},{{"sku":"sku-{(n + 1) % 500}","qty":2}}]}},'
            f'"note":"')
    pad = max(0, size - len(head) - 2)
    return key.encode(), (head + filler(pad, kind) + '"}').encode()


def produce_share(bootstrap, partition, step, events, size, kind, queue):
    """Produces events partition, partition + step, ... to `partition`: each partition's events
    come from one producer in time order, so their times grow with the offsets, as a live
    system's do (and each file covers a short span of time)."""
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "acks": "all",
                         "enable.idempotence": True, "batch.size": 1_000_000,
                         "queue.buffering.max.messages": 500_000, "compression.type": "none"})
    for n in range(partition, events, step):
        key, value = event_bytes(n, events, size, kind)
        while True:
            try:
                producer.produce("bus", key=key, value=value, partition=partition)
                break
            except BufferError:
                producer.poll(0.05)
        if n % 1000 == 0:
            producer.poll(0)
    queue.put(producer.flush(600))


def produce(bootstrap, events, size, kind):
    """One producer process per partition."""
    queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=produce_share, args=(bootstrap, p, PARTITIONS, events, size, kind, queue))
               for p in range(PARTITIONS)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    left = [queue.get(timeout=3600) for _ in workers]
    for worker in workers:
        worker.join(60)
    if any(left):
        raise RuntimeError(f"producers could not deliver {sum(left)} events")
    return time.monotonic() - started


def get_json(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return json.loads(r.read())


def wait_archived(port, events, max_seconds):
    started = time.monotonic()
    deadline = started + max_seconds
    while time.monotonic() < deadline:
        status = get_json(port, "/v1/lake/status")
        archived = sum(end for name, end in status["end_positions"].items() if name.startswith("bus/"))
        if archived >= events:
            return time.monotonic() - started, status
        time.sleep(0.2)
    raise RuntimeError(f"the lake did not hold all {events} events within {max_seconds}s")


def timed_query(tarn, lake_dir, args, reps):
    times, count = [], None
    for _ in range(reps):
        started = time.monotonic()
        out = subprocess.run([tarn, "lake", "query", "--dir", lake_dir, *args], check=True,
                             stdout=subprocess.PIPE, timeout=1800).stdout
        times.append(time.monotonic() - started)
        count = out.count(b"\n")
    return statistics.median(times), count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tarn", required=True)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--event-bytes", type=int, default=1024)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--filler", choices=("hex", "text"), default="hex",
                        help="what pads each event to --event-bytes: random hex, or random words")
    parser.add_argument("--max-seconds", type=float, default=3600)
    args = parser.parse_args()
    tarn_server._options["tarn"] = args.tarn
    tarn = os.path.abspath(args.tarn)

    server = tarn_server.TarnServer(extra_args=["--default-partitions", str(PARTITIONS), "--no-lake"],
                                    name="lake-bench")
    try:
        server.start()
        produce_s = produce(server.bootstrap, args.events, args.event_bytes, args.filler)
        produced = {"events_per_s": round(args.events / produce_s), "seconds": round(produce_s, 2)}
        print(json.dumps({"phase": "produce", "events": args.events, **produced}), flush=True)

        server.stop()
        # Files close at 64 MiB of lines or after 1 s (not the default 60 s), so that the last
        # files' age does not count as archiving time.
        server.extra_args = ["--default-partitions", str(PARTITIONS), "--lake-file-age-ms", "1000"]
        server.start()
        archive_s, status = wait_archived(server.http_port, args.events, args.max_seconds)
        archived = {"events_per_s": round(args.events / archive_s), "seconds": round(archive_s, 2),
                    "line_mb_per_s": round(status["raw_bytes"] / archive_s / 1e6, 1),
                    "files": status["files"], "file_bytes": status["bytes"], "line_bytes": status["raw_bytes"],
                    "compression_ratio": round(status["raw_bytes"] / max(1, status["bytes"]), 2)}
        print(json.dumps({"phase": "archive", **archived,
                          "archive_over_produce": round(archived["events_per_s"] / produced["events_per_s"], 2)}),
              flush=True)
        server.stop()

        lake_dir = os.path.join(server.data_dir, "lake")
        day_from = START_MS + 10 * DAY_MS
        queries = {"type": ["--type", "order-e"],
                   "time range (1 day of 30)": ["--from", str(day_from), "--to", str(day_from + DAY_MS)]}
        for name, query in queries.items():
            seconds, count = timed_query(tarn, lake_dir, query, args.reps)
            print(json.dumps({"phase": "query", "filter": name, "seconds": round(seconds, 2), "events": count,
                              "over": args.events}), flush=True)
        print(f"\nproduce {produced['events_per_s']:,} events/s; archive {archived['events_per_s']:,} events/s "
              f"({archived['line_mb_per_s']} MB/s of lines, compression {archived['compression_ratio']}x, "
              f"{archived['files']} files): archive/produce = {archived['events_per_s'] / produced['events_per_s']:.2f}x")
    finally:
        server.close()


if __name__ == "__main__":
    main()
