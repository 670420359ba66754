"""Runs a real `tarn serve` for the compatibility tests.

TarnServer starts the binary on 127.0.0.1 with port 0 (or a given port) and a temporary data
directory, waits for its two "listening on" log lines, and stops it with SIGTERM (SIGKILL after a
deadline). The server's output goes to a log file; ServerTestCase prints the tail of that log
when a test fails. Every wait here has a deadline, and a server is killed when the test process
exits, even when it dies (PR_SET_PDEATHSIG).

The binary comes from `--tarn PATH` on the test's command line (see parse_args) or $TARN_BIN.
"""

import atexit
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

PYTHON = "/usr/bin/python3"  # the interpreter that sees python3-confluent-kafka and python3-kafka
COMPAT_DIR = os.path.dirname(os.path.abspath(__file__))

START_DEADLINE_S = 20.0
STOP_DEADLINE_S = 15.0

_LISTENING = {
    "kafka": re.compile(r"kafka listening on ([^\s:]+|\[[^\]]+\]):(\d+)"),
    "http": re.compile(r"http listening on ([^\s:]+|\[[^\]]+\]):(\d+)"),
}

_live_servers = set()
_options = {}


def parse_args(argv=None):
    """Removes this suite's own options from argv (default sys.argv) and returns the rest.

    --tarn PATH      the tarn binary (else $TARN_BIN)
    --program PATH   a client program a test runs (librdkafka_compat)
    The remaining arguments are unittest's.
    """
    argv = list(sys.argv if argv is None else argv)
    rest = [argv[0]]
    i = 1
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name in ("--tarn", "--program"):
            if not eq:
                if i + 1 >= len(argv):
                    raise SystemExit(f"{name} needs a value")
                value = argv[i + 1]
                i += 1
            _options[name[2:]] = value
        else:
            rest.append(arg)
        i += 1
    return rest


def main():
    """unittest.main() after taking --tarn and --program out of the command line."""
    unittest.main(argv=parse_args(), verbosity=2)


def tarn_binary():
    path = _options.get("tarn") or os.environ.get("TARN_BIN")
    if not path:
        raise RuntimeError("no tarn binary: pass --tarn PATH or set TARN_BIN")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"tarn binary {path} is not executable")
    return os.path.abspath(path)


def program(name):
    """A path given with --program, else $<NAME upper-cased>."""
    path = _options.get("program") or os.environ.get(name.upper())
    if not path:
        raise RuntimeError(f"no {name} program: pass --program PATH or set {name.upper()}")
    return os.path.abspath(path)


def wait_until(predicate, timeout_s, what, interval_s=0.02):
    """Polls predicate() until it returns a true value, which is returned. Raises TimeoutError
    naming `what` after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout_s:.1f}s waiting for {what}")
        time.sleep(interval_s)


def _die_with_parent():
    # Runs in the child between fork and exec: SIGKILL it when the test process dies, so a
    # test killed by CTest's timeout leaves no server behind.
    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def spawn(args, **kwargs):
    """subprocess.Popen for helper processes: killed when the test process dies."""
    return subprocess.Popen(args, preexec_fn=_die_with_parent, **kwargs)


def run(args, timeout_s, input=None, env=None, check=True):
    """Runs a client command to completion with a deadline. Returns CompletedProcess (text).
    With check, a non-zero exit raises AssertionError carrying the command's output."""
    try:
        proc = subprocess.run(args, input=input, capture_output=True, text=True,
                              timeout=timeout_s, env=env, preexec_fn=_die_with_parent)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(
            f"{args[0]} did not finish within {timeout_s}s: {' '.join(map(str, args))}\n"
            f"stdout:\n{_text(e.stdout)}\nstderr:\n{_text(e.stderr)}") from None
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, args))} exited with {proc.returncode}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def _text(b):
    if b is None:
        return ""
    return b.decode(errors="replace") if isinstance(b, bytes) else b


class TarnServer:
    """One `tarn serve` process over one data directory, which outlives restarts.

    Attributes once started: bootstrap ("127.0.0.1:PORT"), kafka_port, http_port, data_dir,
    log_path (all runs append to it), process. With kafka=False (for `--broker off` in
    extra_args) the server has no Kafka listener: no --kafka-addr is passed, only the HTTP
    listener is waited for, and kafka_port and bootstrap stay None.
    """

    def __init__(self, extra_args=(), data_dir=None, name="tarn", kafka=True):
        self.binary = tarn_binary()
        self.extra_args = list(extra_args)
        self.kafka = kafka
        self.work_dir = tempfile.mkdtemp(prefix=f"{name}-test-")
        self.data_dir = data_dir or os.path.join(self.work_dir, "data")
        self.log_path = os.path.join(self.work_dir, "server.log")
        self.process = None
        self.kafka_port = None
        self.http_port = None
        self.bootstrap = None
        self.starts = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, kafka_port=0, http_port=0):
        """Starts the server and waits (START_DEADLINE_S) until both listeners are up."""
        if self.process is not None:
            raise RuntimeError("server already running")
        os.makedirs(self.data_dir, exist_ok=True)
        args = [self.binary, "serve",
                "--data-dir", self.data_dir,
                *(["--kafka-addr", f"127.0.0.1:{kafka_port}"] if self.kafka else []),
                "--http-addr", f"127.0.0.1:{http_port}",
                *self.extra_args]
        wanted = _LISTENING if self.kafka else {"http": _LISTENING["http"]}
        log = open(self.log_path, "ab")
        log.write(f"==== start #{self.starts + 1}: {' '.join(args)}\n".encode())
        log.flush()
        start_offset = log.tell()
        # The work dir as cwd, so that no ./tarn.yaml from elsewhere is picked up.
        self.process = spawn(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             cwd=self.work_dir)
        log.close()
        self.starts += 1
        _live_servers.add(self)

        def listening():
            if self.process.poll() is not None:
                raise RuntimeError(f"tarn serve exited with {self.process.returncode} while "
                                   f"starting\n{self.log_tail()}")
            with open(self.log_path, "rb") as f:
                f.seek(start_offset)
                text = f.read().decode(errors="replace")
            found = {k: p.search(text) for k, p in wanted.items()}
            return found if all(found.values()) else None

        try:
            found = wait_until(listening, START_DEADLINE_S, "tarn serve's listening lines")
        except TimeoutError as e:
            self.kill()
            raise RuntimeError(f"{e}\n{self.log_tail()}") from None
        except Exception:
            self.kill()
            raise
        self.http_port = int(found["http"].group(2))
        if self.kafka:
            self.kafka_port = int(found["kafka"].group(2))
            self.bootstrap = f"127.0.0.1:{self.kafka_port}"
        return self

    def stop(self, timeout_s=STOP_DEADLINE_S):
        """SIGTERM, then SIGKILL if it has not exited within timeout_s. Returns the exit code
        of a clean stop, or None when it had to be killed."""
        if self.process is None:
            return None
        proc = self.process
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                self._forget()
                return None
        self._forget()
        return proc.returncode

    def kill(self):
        """SIGKILL: a crash, as far as the data directory can tell."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._forget()

    def restart(self, same_port=False, crash=False):
        """Stops (or with crash, SIGKILLs) the server and starts it again on the same data
        directory. New ports unless same_port, which reuses the Kafka port (retrying while the
        port is still taken, then giving up with an error)."""
        port = self.kafka_port if same_port else 0
        if crash:
            self.kill()
        else:
            self.stop()
        if not same_port:
            return self.start()
        deadline = time.monotonic() + START_DEADLINE_S
        while True:
            try:
                return self.start(kafka_port=port)
            except RuntimeError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def close(self):
        """Stops the server and removes its files, unless $TARN_KEEP_TEST_DATA is set."""
        self.stop()
        _live_servers.discard(self)
        if os.environ.get("TARN_KEEP_TEST_DATA"):
            print(f"kept test data in {self.work_dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def running(self):
        return self.process is not None and self.process.poll() is None

    def _forget(self):
        self.process = None

    # -- diagnostics -------------------------------------------------------------------------

    def log_tail(self, lines=60):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - 64 * 1024))
                text = f.read().decode(errors="replace")
        except OSError as e:
            return f"(no server log: {e})"
        tail = "\n".join(text.splitlines()[-lines:])
        return (f"---- last {lines} lines of {self.log_path} ----\n{tail}\n"
                "---- end of server log ----")


@atexit.register
def _kill_live_servers():
    for server in list(_live_servers):
        try:
            server.kill()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def run_node_test(test, script, package, env, timeout_s):
    """Runs a Node test file (node --test) from this folder with `env`, echoing its output;
    `test` (a TestCase) fails when node or the npm `package` is missing or the script fails."""
    node = shutil.which("node")
    test.assertIsNotNone(node, "node is not installed: run scripts/setup --test")
    test.assertTrue(os.path.isfile(os.path.join(COMPAT_DIR, "node_modules", package,
                                                "package.json")),
                    f"{package} is not installed in tests/compat/node_modules: run "
                    "scripts/setup --test (npm ci in tests/compat)")
    env = dict(os.environ, KAFKAJS_NO_PARTITIONER_WARNING="1", **env)
    proc = run([node, "--test", "--test-reporter=spec", os.path.join(COMPAT_DIR, script)],
               timeout_s=timeout_s, env=env, check=False)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr[-20000:])
    test.assertEqual(proc.returncode, 0, f"{script} failed (see its output above)")


class ServerTestCase(unittest.TestCase):
    """A test class sharing one server (started in setUpClass). SERVER_ARGS adds flags.
    When a test fails, the tail of the server's log is printed after unittest's report line."""

    SERVER_ARGS = ()
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = TarnServer(extra_args=cls.SERVER_ARGS, name=cls.__name__.lower())
        try:
            cls.server.start()
        except Exception:
            cls.server.close()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.server is None:
            return
        # A clean stop exits 0. Anything else (a sanitizer report at exit, a crash earlier) is
        # a failure of this test class even when every test passed.
        was_running = cls.server.running()
        code = cls.server.stop()
        log = cls.server.log_tail()
        cls.server.close()
        if not was_running:
            raise AssertionError(f"the server was not running at the end of {cls.__name__}\n{log}")
        if code not in (0, None):
            raise AssertionError(f"the server exited with {code} at the end of {cls.__name__}\n{log}")

    @property
    def bootstrap(self):
        return self.server.bootstrap

    def run(self, result=None):
        failures_before = _failure_count(result)
        outcome = super().run(result)
        if result is not None and _failure_count(result) > failures_before and self.server:
            sys.stderr.write(f"\n{self.id()} failed; {self.server.log_tail()}\n")
            sys.stderr.flush()
        return outcome

    def unique_topic(self, prefix):
        """A topic name no other test in this process uses."""
        ServerTestCase._topic_counter += 1
        return f"{prefix}-{os.getpid()}-{ServerTestCase._topic_counter}"

    _topic_counter = 0


def _failure_count(result):
    if result is None:
        return 0
    return len(result.failures) + len(result.errors)


def now_ms():
    return int(time.time() * 1000)


def wait_for_clock_after(ts_ms):
    """Waits until the wall clock is past ts_ms (at most a few ms), so that records produced
    from now on have timestamps > ts_ms."""
    wait_until(lambda: now_ms() > ts_ms, 2.0, f"the clock to pass {ts_ms}", interval_s=0.001)
