"""One member of the soak's consumer group: consumes, appends "partition offset" per record to
--out (flushed before each commit, so what is committed is always on record), commits after
processing, and leaves the group cleanly on SIGTERM. With --exit-when-idle-s it stops by itself
once nothing has arrived for that long (the final drain)."""

import argparse
import signal
import sys
import time

from confluent_kafka import Consumer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--session-timeout-ms", type=int, default=6000)
    parser.add_argument("--exit-when-idle-s", type=float, default=0)
    args = parser.parse_args()

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap, "group.id": args.group,
        "enable.auto.commit": False, "auto.offset.reset": "earliest",
        "session.timeout.ms": args.session_timeout_ms, "heartbeat.interval.ms": 1000,
    })
    consumer.subscribe([args.topic])
    last_record = time.monotonic()
    with open(args.out, "a") as out:
        while not stopping:
            batch = consumer.consume(500, 0.5)
            records = [m for m in batch if not m.error()]
            if records:
                last_record = time.monotonic()
                for m in records:
                    out.write(f"{m.partition()} {m.offset()}\n")
                out.flush()
                try:
                    consumer.commit(asynchronous=False)
                except Exception as e:  # noqa: BLE001 - a rebalance can refuse the commit
                    print(f"member: commit failed: {e}", file=sys.stderr)
            elif args.exit_when_idle_s and time.monotonic() - last_record > args.exit_when_idle_s:
                break
    consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
