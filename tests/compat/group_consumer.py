"""One member of a consumer group, run as its own process by group_scenario.py.

Usage: group_consumer.py CLIENT BOOTSTRAP GROUP TOPIC OUTPUT [INSTANCE_ID]
  CLIENT is "confluent" (confluent-kafka over librdkafka) or "kafka-python".

It subscribes to TOPIC in GROUP, and for every batch it polls: processes each record by writing
a line to OUTPUT (flushed), then commits the batch's offsets synchronously. So a record is
committed only after it was processed: at-least-once. Lines in OUTPUT:

  A p1,p2,...           the partitions assigned after a rebalance (possibly none)
  R partition offset key  a record processed

SIGTERM ends it cleanly (the consumer is closed, which leaves the group); SIGKILL is a crash.
"""

import os
import signal
import sys

SESSION_TIMEOUT_MS = 6000
HEARTBEAT_INTERVAL_MS = 1000
MAX_POLL_INTERVAL_MS = 30000

stopping = False


def on_sigterm(signum, frame):
    global stopping
    stopping = True


class Output:
    def __init__(self, path):
        self.file = open(path, "a", buffering=1)

    def assigned(self, partitions):
        self.file.write("A " + ",".join(str(p) for p in sorted(partitions)) + "\n")
        self.file.flush()

    def record(self, partition, offset, key):
        self.file.write(f"R {partition} {offset} {key}\n")

    def flush(self):
        self.file.flush()
        os.fsync(self.file.fileno())


def run_confluent(bootstrap, group, topic, out, instance_id):
    from confluent_kafka import Consumer, KafkaException

    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "session.timeout.ms": SESSION_TIMEOUT_MS,
        "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
        "max.poll.interval.ms": MAX_POLL_INTERVAL_MS,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "error_cb": lambda err: print(f"librdkafka error: {err}", file=sys.stderr, flush=True),
    }
    if instance_id:
        conf["group.instance.id"] = instance_id
    consumer = Consumer(conf)

    def assigned(c, partitions):
        out.assigned(tp.partition for tp in partitions)

    def revoked(c, partitions):
        out.assigned([])

    consumer.subscribe([topic], on_assign=assigned, on_revoke=revoked)
    try:
        while not stopping:
            messages = consumer.consume(num_messages=100, timeout=0.2)
            batch = []
            for m in messages:
                if m.error():
                    print(f"consume error: {m.error()}", file=sys.stderr, flush=True)
                    continue
                out.record(m.partition(), m.offset(), m.key().decode())
                batch.append(m)
            if not batch:
                continue
            out.flush()
            try:
                consumer.commit(asynchronous=False)
            except KafkaException as e:
                # A rebalance took the partitions away: whoever has them now reads them again
                # from the last commit.
                print(f"commit failed: {e}", file=sys.stderr, flush=True)
    finally:
        consumer.close()


def run_kafka_python(bootstrap, group, topic, out, instance_id):
    from kafka import KafkaConsumer
    from kafka.consumer.subscription_state import ConsumerRebalanceListener
    from kafka.errors import CommitFailedError, KafkaError

    if instance_id:
        raise SystemExit("kafka-python 2.0.2 has no static membership")

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            out.assigned([])

        def on_partitions_assigned(self, assigned):
            out.assigned(tp.partition for tp in assigned)

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
        max_poll_interval_ms=MAX_POLL_INTERVAL_MS,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    consumer.subscribe([topic], listener=Listener())
    try:
        while not stopping:
            polled = consumer.poll(timeout_ms=200)
            count = 0
            for tp, records in polled.items():
                for r in records:
                    out.record(r.partition, r.offset, r.key.decode())
                    count += 1
            if not count:
                continue
            out.flush()
            try:
                consumer.commit()
            except (CommitFailedError, KafkaError) as e:
                print(f"commit failed: {e}", file=sys.stderr, flush=True)
    finally:
        consumer.close()


def main():
    if len(sys.argv) not in (6, 7):
        raise SystemExit(__doc__)
    client, bootstrap, group, topic, output = sys.argv[1:6]
    instance_id = sys.argv[6] if len(sys.argv) == 7 else None
    signal.signal(signal.SIGTERM, on_sigterm)
    out = Output(output)
    if client == "confluent":
        run_confluent(bootstrap, group, topic, out, instance_id)
    elif client == "kafka-python":
        run_kafka_python(bootstrap, group, topic, out, instance_id)
    else:
        raise SystemExit(f"unknown client {client}")


if __name__ == "__main__":
    main()
