"""The producer process of test_crash.py: an idempotent acks=all confluent-kafka producer that
sends records without end, until SIGTERM, and appends one line per acknowledged record to an
ack file, as each delivery report arrives:

    <partition> <offset> <session> <seq>

Record number `seq` of a session has the value "<session>:<seq>" and goes to partition
seq % partitions, so the test can check order per partition. One os.write per line, so a killed
producer leaves only whole lines. On SIGTERM it stops producing, waits for the outstanding
records (at most 30 s) and exits 0. A fatal idempotence error exits 3.

Run by test_crash.py: crash_producer.py BOOTSTRAP TOPIC PARTITIONS SESSION ACK_FILE
"""

import os
import signal
import sys
import time

from confluent_kafka import KafkaException, Producer

RATE_PER_S = 2000        # records per second, so that the log stays small enough to verify
MAX_OUTSTANDING = 2000   # records produced but not yet acknowledged or failed


def main():
    bootstrap, topic, partitions, session, ack_path = sys.argv[1:6]
    partitions = int(partitions)
    ack_fd = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    stopping = False
    fatal = []
    failed = 0

    def on_term(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_term)

    def on_error(err):
        print(f"producer {session}: error: {err}", file=sys.stderr, flush=True)
        if err.fatal():
            fatal.append(err)

    def on_delivery(err, msg):
        nonlocal failed
        if err is not None:
            failed += 1
            print(f"producer {session}: delivery failed: {err} for {msg.value()!r}",
                  file=sys.stderr, flush=True)
            return
        seq = msg.value().decode().split(":")[1]
        os.write(ack_fd, f"{msg.partition()} {msg.offset()} {session} {seq}\n".encode())

    producer = Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 2,
        # Find a restarted broker quickly, and keep records queued across a restart rather
        # than failing them.
        "reconnect.backoff.ms": 20,
        "reconnect.backoff.max.ms": 200,
        "message.timeout.ms": 60000,
        "socket.timeout.ms": 10000,
        "error_cb": on_error,
        **({"debug": os.environ["CRASH_PRODUCER_DEBUG"]}
           if os.environ.get("CRASH_PRODUCER_DEBUG") else {}),
    })
    print(f"producer {session}: started", file=sys.stderr, flush=True)

    start = time.monotonic()
    seq = 0
    while not stopping and not fatal:
        due = int((time.monotonic() - start) * RATE_PER_S)
        if seq >= due or len(producer) >= MAX_OUTSTANDING:
            producer.poll(0.002)
            continue
        value = f"{session}:{seq}".encode()
        try:
            producer.produce(topic, value=value, key=value, partition=seq % partitions,
                             on_delivery=on_delivery)
        except BufferError:
            producer.poll(0.01)
            continue
        except KafkaException as e:
            print(f"producer {session}: produce: {e}", file=sys.stderr, flush=True)
            fatal.append(e)
            break
        seq += 1
        producer.poll(0)

    remaining = producer.flush(30) if not fatal else len(producer)
    print(f"producer {session}: stopped after {seq} records, {failed} failed, "
          f"{remaining} undelivered", file=sys.stderr, flush=True)
    if fatal:
        print(f"producer {session}: FATAL: {fatal[0]}", file=sys.stderr, flush=True)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
