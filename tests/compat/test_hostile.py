"""Hostile clients against a real `tarn serve`: size prefixes and lengths inside bodies that lie,
requests over the configured maximum, a thousand idle connections, clients that pipeline
requests and never read the answers, and connections left idle. In every case the broker
answers with an error or closes that one connection, keeps its memory bounded, and keeps
serving everyone else (checked with a real client, confluent-kafka).

Run: /usr/bin/python3 tests/compat/test_hostile.py --tarn build/release/src/app/tarn
"""

import os
import resource
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import ServerTestCase, wait_until  # noqa: E402
from test_wire import API_VERSIONS, Connection, parse_api_versions_v0, request  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

METADATA = 3
PRODUCE = 0
FETCH = 1
MAX_REQUEST_BYTES = 1 << 20
DEADLINE_S = 60


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def kafka_string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def fetch_v4(topic, offset, max_bytes):
    """A Fetch v4 body: one partition (0) of `topic` from `offset`, answered at once."""
    return (struct.pack(">iiiib", -1, 0, 0, max_bytes, 0) + struct.pack(">i", 1) +
            kafka_string(topic) + struct.pack(">i", 1) + struct.pack(">iqi", 0, offset, max_bytes))


class HostileInputTest(ServerTestCase):
    SERVER_ARGS = ("--max-request-bytes", str(MAX_REQUEST_BYTES))

    @classmethod
    def setUpClass(cls):
        # A thousand connections and the test's own sockets need more than the usual 1024.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
        super().setUpClass()

    def connect(self):
        conn = Connection(self.server.kafka_port)
        self.addCleanup(conn.close)
        return conn

    def rss(self):
        return rss_bytes(self.server.process.pid)

    def assert_round_trip(self, topic, count=20):
        """A real producer and consumer still work: `count` records in, the same out."""
        producer = Producer({"bootstrap.servers": self.bootstrap, "acks": "all"})
        values = [f"{topic}-{i}".encode() for i in range(count)]
        for v in values:
            producer.produce(topic, v)
        self.assertEqual(producer.flush(DEADLINE_S), 0, "records left unacknowledged")
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": f"g-{topic}",
                             "enable.auto.commit": False})
        consumer.assign([TopicPartition(topic, 0, 0)])
        got = []
        deadline = time.monotonic() + DEADLINE_S
        while len(got) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error():
                got.append(msg.value())
        consumer.close()
        self.assertEqual(got, values)

    def assert_api_versions_answers(self, conn, correlation_id):
        conn.send(request(API_VERSIONS, 0, correlation_id))
        self.assertEqual(parse_api_versions_v0(conn.read_frame())[:2], (correlation_id, 0))

    def test_size_prefixes_that_lie_cost_nothing_until_the_bytes_come(self):
        before = self.rss()
        liars = []
        for _ in range(300):  # each promises almost the maximum and sends a few bytes
            conn = self.connect()
            conn.send(struct.pack(">i", MAX_REQUEST_BYTES - 8) + b"\0" * 100)
            liars.append(conn)
        self.assert_api_versions_answers(self.connect(), 1)
        # 300 buffers of the promised size would be 300 MiB.
        self.assertLess(self.rss() - before, 100 << 20)
        self.assert_round_trip(self.unique_topic("after-liars"))

    def test_lengths_inside_a_body_that_lie_close_that_connection(self):
        before = self.rss()
        cases = {
            # Metadata v1: a topic array of 2^31-1 entries, then nothing.
            "array count": request(METADATA, 1, 1, struct.pack(">i", 0x7FFFFFFF)),
            # Metadata v1: one topic whose name claims 32767 bytes.
            "string length": request(METADATA, 1, 1, struct.pack(">ih", 1, 0x7FFF) + b"ab"),
            # Produce v3: a record set claiming 1 GiB.
            "records length": request(PRODUCE, 3, 1, struct.pack(">hhii", -1, 1, 1000, 1) +
                                      kafka_string("t") + struct.pack(">iii", 1, 0, 1 << 30)),
            # Produce v3: a batch whose own length field lies.
            "batch length": request(PRODUCE, 3, 1, struct.pack(">hhii", -1, 1, 1000, 1) +
                                    kafka_string("t") + struct.pack(">iii", 1, 0, 70) +
                                    struct.pack(">qi", 0, 0x7FFFFFF0) + b"\0" * 58),
            # A header whose client id runs past the frame.
            "client id length": struct.pack(">ihhih", 10, API_VERSIONS, 0, 1, 500),
        }
        for name, data in cases.items():
            with self.subTest(name):
                conn = self.connect()
                conn.send(data)
                # Either an error answer or a closed connection; never a hang or a crash.
                try:
                    conn.sock.recv(1)
                except ConnectionResetError:
                    pass
                except socket.timeout:
                    self.fail(f"{name}: the connection stayed open without an answer")
        self.assertTrue(self.server.running())
        self.assertLess(self.rss() - before, 64 << 20)
        self.assert_api_versions_answers(self.connect(), 2)

    def test_requests_over_the_configured_maximum_close_only_that_connection(self):
        bystander = self.connect()
        over = self.connect()
        over.send(struct.pack(">i", MAX_REQUEST_BYTES + 1) + b"\0" * 1000)
        self.assertTrue(over.closed_by_server())
        self.assert_api_versions_answers(bystander, 3)
        # A record just under the limit still goes through.
        topic = self.unique_topic("near-limit")
        producer = Producer({"bootstrap.servers": self.bootstrap, "acks": "all",
                             "message.max.bytes": MAX_REQUEST_BYTES})
        producer.produce(topic, b"v" * (900 * 1024))
        self.assertEqual(producer.flush(DEADLINE_S), 0)

    def test_a_thousand_idle_connections_stall_no_one(self):
        idle = []
        for _ in range(1000):
            idle.append(socket.create_connection(("127.0.0.1", self.server.kafka_port), timeout=10))
        try:
            self.assert_round_trip(self.unique_topic("beside-idle"))
            # They are all still open: the server neither dropped nor choked on them.
            conn = Connection(self.server.kafka_port)
            try:
                self.assert_api_versions_answers(conn, 4)
            finally:
                conn.close()
            for s in idle[:10]:
                s.send(request(API_VERSIONS, 0, 5))
            for s in idle[:10]:
                s.settimeout(10)
                self.assertGreater(len(s.recv(4)), 0)
        finally:
            for s in idle:
                s.close()

    def test_a_reader_that_never_reads_is_bounded_and_stalls_no_one(self):
        topic = self.unique_topic("slow-reader")
        producer = Producer({"bootstrap.servers": self.bootstrap, "acks": "all",
                             "linger.ms": 5})
        for i in range(8000):  # ~8 MiB to fetch
            producer.produce(topic, os.urandom(1024), key=str(i).encode())
        self.assertEqual(producer.flush(DEADLINE_S), 0)
        before = self.rss()
        slow = socket.create_connection(("127.0.0.1", self.server.kafka_port), timeout=10)
        try:
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            fetch = request(FETCH, 4, 0, fetch_v4(topic, 0, 16 << 20))
            # 300 fetches of ~8 MiB each would be 2.4 GiB held for this client.
            slow.setblocking(False)
            sent = 0
            deadline = time.monotonic() + 20
            while sent < 300 and time.monotonic() < deadline:
                try:
                    slow.sendall(fetch)
                    sent += 1
                except BlockingIOError:
                    break  # the server stopped reading: back-pressure
            self.assert_round_trip(self.unique_topic("beside-slow"))
            # Watch the server's memory while it would be answering every fetch (unbounded,
            # it passes 400 MiB within a second or two here).
            growth = 0
            for _ in range(20):
                growth = max(growth, self.rss() - before)
                time.sleep(0.25)
            self.assertTrue(self.server.running())
            self.assertLess(growth, 400 << 20, f"server memory grew with {sent} unread fetches")
        finally:
            slow.close()
        self.assert_api_versions_answers(self.connect(), 6)


class IdleTimeoutTest(ServerTestCase):
    SERVER_ARGS = ("--connections-max-idle-ms", "1500")

    def test_an_idle_connection_is_closed_and_a_busy_one_is_not(self):
        idle = Connection(self.server.kafka_port)
        busy = Connection(self.server.kafka_port)
        try:
            deadline = time.monotonic() + 6
            while time.monotonic() < deadline:  # keeps talking past the idle timeout
                busy.send(request(API_VERSIONS, 0, 7))
                self.assertEqual(parse_api_versions_v0(busy.read_frame())[0], 7)
                time.sleep(0.3)
            self.assertTrue(idle.closed_by_server())
            wait_until(lambda: "idle for 1500 ms; closing" in self.server.log_tail(),
                       10, "the server to log the idle close")
        finally:
            idle.close()
            busy.close()


if __name__ == "__main__":
    tarn_server.main()
