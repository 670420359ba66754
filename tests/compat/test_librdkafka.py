"""Runs librdkafka_compat (librdkafka's C++ API; see librdkafka_compat.cc) against a real
`tarn serve`.

Run: /usr/bin/python3 tests/compat/test_librdkafka.py --tarn build/release/src/app/tarn \
         --program build/release/tests/librdkafka_compat
Set LIBRDKAFKA_DEBUG=broker,protocol,msg for librdkafka's debug log.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from tarn_server import ServerTestCase, run  # noqa: E402


class LibrdkafkaTest(ServerTestCase):
    SERVER_ARGS = ("--group-initial-rebalance-delay-ms", "300")

    def test_idempotent_produce_then_assign_and_read_back(self):
        self.run_program("--records", "3000")

    def test_cooperative_sticky_group(self):
        self.run_program("--records", "600", "--cooperative-group")

    def run_program(self, *extra):
        args = [tarn_server.program("librdkafka_compat"), "--bootstrap", self.bootstrap, *extra]
        if os.environ.get("LIBRDKAFKA_DEBUG"):
            args += ["--debug", os.environ["LIBRDKAFKA_DEBUG"]]
        proc = run(args, timeout_s=90, check=False)
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            self.fail(f"librdkafka_compat exited with {proc.returncode}\n"
                      f"stdout:\n{proc.stdout}\nstderr (last 20000 chars):\n{proc.stderr[-20000:]}")
        self.assertIn("all checks passed", proc.stdout)


if __name__ == "__main__":
    tarn_server.main()
