"""A test peer for the host's API (dstack-vmm's host_api_service.rs behind the
`host_api_url` of sys-config.json), which the guest agent's Shutdown notifies.

It answers as the VMM's prpc server does: `POST <prefix>/Notify?json` with a Notification
(host-api/proto/host_api.proto) gets 200 and the JSON encoding of `()`, `null`; any other path
gets Rocket's 404. Every request is kept byte for byte (request line, headers, body), so tests
assert the exact wire form. The real VMM identifies the VM by the vsock peer's CID; this peer
listens on TCP or a unix socket (the other base URLs upstream's http-client takes), where a
machine without vsock loopback can reach it."""

import socket
import threading
import time


class HostApiPeer:
    def __init__(self, unix_path=None, prefix="/api"):
        self.prefix = prefix
        self.requests = []  # (time, request line, [(name, value)], body bytes)
        self.lock = threading.Lock()
        if unix_path is not None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(unix_path)
            self.url = f"unix:{unix_path}"
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.bind(("127.0.0.1", 0))
            self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}{prefix}"
        self.sock.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                try:
                    self._one(conn)
                except (OSError, ValueError):
                    pass

    def _one(self, conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = [tuple(p.strip() for p in l.split(":", 1)) for l in lines[1:]]
        length = int(dict((k.lower(), v) for k, v in headers).get("content-length", "0"))
        while len(body) < length:
            chunk = conn.recv(4096)
            if not chunk:
                break
            body += chunk
        with self.lock:
            self.requests.append((time.time(), lines[0], headers, body))
        target = lines[0].split(" ")[1] if len(lines[0].split(" ")) == 3 else ""
        notify = self.prefix + "/Notify?json" if not self.url.startswith("unix:") else "/Notify?json"
        if lines[0].startswith("POST ") and target == notify:
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                         b"content-length: 4\r\n\r\nnull")
        else:
            conn.sendall(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")

    def wait_requests(self, n, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.05)
        with self.lock:
            return list(self.requests)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept
        except OSError:
            pass
        self.sock.close()
