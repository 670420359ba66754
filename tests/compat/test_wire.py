"""The Kafka listener of a real `tarn serve` at the byte level, over raw sockets: ApiVersions
answers (including a version above the supported range), in-order answers to pipelined
requests, and bad input (garbage, an oversized frame, an unknown API, a frame cut short) closing
only that one connection while the server keeps serving everyone else.

Run: /usr/bin/python3 tests/compat/test_wire.py --tarn build/release/src/app/tarn
"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import ServerTestCase  # noqa: E402

TIMEOUT_S = 10
API_VERSIONS = 18
PRODUCE = 0
UNSUPPORTED_VERSION = 35


def request(api_key, api_version, correlation_id, body=b"", client_id=b"wire-test",
            flexible=False):
    """A request frame: header v1, or v2 (an empty tagged-field section) when flexible."""
    header = struct.pack(">hhih", api_key, api_version, correlation_id, len(client_id)) + client_id
    if flexible:
        header += b"\x00"
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


class Connection:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)

    def send(self, data):
        self.sock.sendall(data)

    def read_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError(f"closed after {len(data)} of {n} bytes")
            data += chunk
        return data

    def read_frame(self):
        (size,) = struct.unpack(">i", self.read_exact(4))
        return self.read_exact(size)

    def closed_by_server(self):
        """True when the server closes the connection (within TIMEOUT_S) without a reply."""
        try:
            data = self.sock.recv(1)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        return data == b""

    def close(self):
        self.sock.close()


def parse_api_versions_v0(frame):
    """(correlation_id, error_code, {api_key: (min, max)}) from an ApiVersions v0 response."""
    correlation_id, error_code, count = struct.unpack_from(">ihi", frame, 0)
    apis = {}
    offset = 10
    for _ in range(count):
        key, lo, hi = struct.unpack_from(">hhh", frame, offset)
        apis[key] = (lo, hi)
        offset += 6
    return correlation_id, error_code, apis


class WireTest(ServerTestCase):

    def connect(self):
        conn = Connection(self.server.kafka_port)
        self.addCleanup(conn.close)
        return conn

    def assert_still_serving(self):
        conn = self.connect()
        conn.send(request(API_VERSIONS, 0, 77))
        correlation_id, error_code, apis = parse_api_versions_v0(conn.read_frame())
        self.assertEqual((correlation_id, error_code), (77, 0))
        self.assertIn(API_VERSIONS, apis)

    def test_api_versions_v0(self):
        conn = self.connect()
        conn.send(request(API_VERSIONS, 0, 1))
        correlation_id, error_code, apis = parse_api_versions_v0(conn.read_frame())
        self.assertEqual((correlation_id, error_code), (1, 0))
        self.assertEqual(apis[API_VERSIONS][0], 0)
        self.assertGreaterEqual(apis[API_VERSIONS][1], 3)
        self.assertLessEqual(apis[PRODUCE][0], 3)  # magic-2 Produce (v3) ...
        self.assertGreaterEqual(apis[PRODUCE][1], 7)  # ... up to v7 (zstd)

    def test_api_versions_above_the_range_gets_a_v0_error_body(self):
        conn = self.connect()
        # As Java clients newer than the broker do: a flexible version, so header v2 and a
        # flexible body (empty client software name and version, no tags).
        conn.send(request(API_VERSIONS, 99, 5, body=b"\x01\x01\x00", flexible=True))
        correlation_id, error_code, apis = parse_api_versions_v0(conn.read_frame())
        self.assertEqual((correlation_id, error_code), (5, UNSUPPORTED_VERSION))
        self.assertIn(API_VERSIONS, apis)
        # The connection stays usable: the client retries at a version it can use.
        conn.send(request(API_VERSIONS, 0, 6))
        self.assertEqual(parse_api_versions_v0(conn.read_frame())[:2], (6, 0))

    def test_pipelined_requests_are_answered_in_order(self):
        conn = self.connect()
        conn.send(b"".join(request(API_VERSIONS, 0, cid) for cid in range(100, 120)))
        got = [parse_api_versions_v0(conn.read_frame())[0] for _ in range(20)]
        self.assertEqual(got, list(range(100, 120)))

    def test_bad_input_closes_only_that_connection(self):
        bystander = self.connect()
        cases = {
            "garbage header": struct.pack(">i", 5) + b"\xff\xff\xff\xff\xff",
            "unknown api key": request(999, 0, 1),
            "unsupported Produce version": request(PRODUCE, 99, 1),
            "negative frame size": struct.pack(">i", -7),
            "frame over max request size": struct.pack(">i", 2_000_000_000) + b"\0" * 64,
        }
        for name, data in cases.items():
            with self.subTest(name):
                conn = self.connect()
                conn.send(data)
                self.assertTrue(conn.closed_by_server(), f"{name}: connection left open")
                self.assert_still_serving()
        bystander.send(request(API_VERSIONS, 0, 9))
        self.assertEqual(parse_api_versions_v0(bystander.read_frame())[:2], (9, 0))

    def test_a_frame_cut_short_by_the_client(self):
        conn = self.connect()
        frame = request(API_VERSIONS, 0, 3)
        conn.send(frame[: len(frame) - 3])
        conn.close()
        # And many connections that open and vanish.
        deadline = time.monotonic() + TIMEOUT_S
        for _ in range(200):
            self.assertLess(time.monotonic(), deadline)
            Connection(self.server.kafka_port).close()
        self.assert_still_serving()


if __name__ == "__main__":
    tarn_server.main()
