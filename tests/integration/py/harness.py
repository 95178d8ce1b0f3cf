"""Shared pieces of the Python integration tests: the real dstack-simulator in a temporary
folder, HTTP over its Unix sockets, Docker through its CLI, and a check counter that ends with
the plain 'N passed, N failed' line. Nothing here is skipped: a missing prerequisite fails."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PASSED = 0
FAILED = 0


def check(cond, what):
    global PASSED, FAILED
    if cond:
        PASSED += 1
    else:
        FAILED += 1
        print(f"FAIL: {what}", flush=True)
    return cond


def finish():
    print(f"{PASSED} passed, {FAILED} failed", flush=True)
    sys.exit(1 if FAILED or PASSED == 0 else 0)


def fatal(why):
    """A prerequisite is missing: the test fails and says why."""
    global FAILED
    FAILED += 1
    print(f"FAIL: {why}", flush=True)
    finish()


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def request(sock, method, path, body=None, headers=None, timeout=30):
    """Returns (status, headers dict with lower-case names, body bytes)."""
    c = UnixHTTPConnection(sock, timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def rpc(sock, path, body="{}"):
    """A POST as the VMM sends it (?json, no content type); (status, parsed JSON or None)."""
    status, _, data = request(sock, "POST", path + "?json", body=body)
    try:
        return status, json.loads(data)
    except ValueError:
        return status, None


class Simulator:
    """dstack-simulator in its own folder; files may be written there before start."""

    def __init__(self, binary, files=None, args=None, env=None, wrapper=None):
        self.dir = tempfile.mkdtemp(prefix="dstack-py-")
        for name, text in (files or {}).items():
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        self.log_path = os.path.join(self.dir, "sim.log")
        cmd = (wrapper or []) + [binary, "--dir", self.dir, "--log-level", "debug"] + (args or [])
        self.log = open(self.log_path, "w")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=full_env)
        self.guest = os.path.join(self.dir, "guest.sock")
        self.external = os.path.join(self.dir, "external.sock")
        self.dstack = os.path.join(self.dir, "dstack.sock")
        deadline = time.time() + (120 if wrapper else 20)
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"simulator exited early:\n{self.read_log()}")
            try:
                # Listeners start one after the other: wait for the last ones too.
                if (request(self.dstack, "POST", "/Version", body="{}")[0] == 200 and
                        os.path.exists(self.external) and os.path.exists(self.guest)):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"simulator did not start:\n{self.read_log()}")

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def stop(self):
        """SIGTERM; returns the exit status (valgrind's error exit is 99)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        rc = self.proc.returncode
        if rc != 0:
            print(self.read_log()[-4000:])
        shutil.rmtree(self.dir, ignore_errors=True)
        return rc


def compose(public_logs=True, public_sysinfo=True, public_tcbinfo=True, name="py-test-app"):
    return json.dumps({
        "manifest_version": 2, "name": name, "runner": "docker-compose",
        "docker_compose_file": "services: {}\n", "kms_enabled": False,
        "gateway_enabled": False, "local_key_provider_enabled": False, "key_provider": "none",
        "key_provider_id": "", "public_logs": public_logs, "public_sysinfo": public_sysinfo,
        "public_tcbinfo": public_tcbinfo, "allowed_envs": [], "no_instance_id": False,
        "secure_time": False}, indent=4)
