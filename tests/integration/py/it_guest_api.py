"""GuestApi, the host's API (docs/api/guest-*.md), on the simulator's guest.sock with real
values read in the same test from /proc, nproc, statvfs, /etc/resolv.conf and `wg`; its bad
inputs; Shutdown refused by default and allowed by configuration; the disks of a configured
data_disks; and the AF_VSOCK listener.

Usage: it_guest_api.py <dstack-simulator>"""

import errno
import gzip
import json
import os
import re
import shutil
import platform
import socket
import subprocess
import sys
import time

from harness import Simulator, check, compose, finish, request, rpc

SIM = sys.argv[1]
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures")


def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            out[k] = int(v.split()[0]) * 1024
    return out


def os_release():
    out = {}
    with open("/etc/os-release") as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                out[k] = v.strip('"')
    return out


def test_sysinfo(sim):
    status, s = rpc(sim.guest, "/api/SysInfo", "null")
    check(status == 200 and s is not None, f"SysInfo answers ({status})")
    m = meminfo()
    nproc = int(subprocess.run(["nproc", "--all"], capture_output=True, text=True).stdout)
    vfs = os.statvfs("/")
    check(s["total_memory"] == m["MemTotal"], "total_memory is MemTotal of /proc/meminfo")
    check(abs(s["available_memory"] - m["MemAvailable"]) < m["MemTotal"] // 10,
          "available_memory is near MemAvailable")
    check(s["used_memory"] == s["total_memory"] - s["available_memory"], "used = total - avail")
    check(s["total_swap"] == m["SwapTotal"], "total_swap is SwapTotal")
    check(s["num_cpus"] == nproc, f"num_cpus {s['num_cpus']} is nproc --all {nproc}")
    check(s["cpu_model"].startswith("cpu0 @") and s["cpu_model"].endswith(" MHz"),
          f"cpu_model as upstream's sysinfo names it: {s['cpu_model']}")
    check(s["kernel_version"] == platform.release(), "kernel_version is uname -r")
    rel = os_release()
    check(s["os_name"] == rel.get("NAME") and s["os_version"] == rel.get("VERSION_ID"),
          "os_name/os_version from /etc/os-release")
    with open("/proc/uptime") as f:
        up = float(f.read().split()[0])
    check(abs(s["uptime"] - up) < 5, "uptime from /proc/uptime")
    with open("/proc/loadavg") as f:
        load1 = float(f.read().split()[0])
    check(abs(s["loadavg_one"] - load1 * 100) < 300, "loadavg_one is the 1-minute load x 100")
    disks = s["disks"]
    check(len(disks) == 1 and disks[0]["mount_point"] == "/", "data_disks = [\"/\"] reported")
    if disks:
        check(disks[0]["total_size"] == vfs.f_blocks * vfs.f_frsize, "disk total from statvfs")
        free = vfs.f_bavail * vfs.f_frsize
        check(abs(disks[0]["free_size"] - free) < 256 << 20, "disk free from statvfs")
        check(disks[0]["name"] != "", "disk name is the mounted device")
    keys = list(s.keys())
    check(keys[:4] == ["os_name", "os_version", "kernel_version", "cpu_model"]
          and keys[-1] == "disks", "fields in proto order")


def mount_devices():
    """Mount point -> device, as /proc/self/mounts lists them (the last mount wins)."""
    out = {}
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mp = line.split()[:2]
            out[mp] = dev
    return out


def test_data_disks():
    """default.core.data_disks from an upstream-style dstack.toml, not the built-in ["/"]:
    SysInfo and /metrics report those mounts (a duplicate once, one not mounted left out) and
    not "/"."""
    import tempfile
    configured = ["/proc", "/dev/shm", "/proc", "/nonexistent-dstack-disk"]
    fd, path = tempfile.mkstemp(suffix=".toml")
    with os.fdopen(fd, "w") as f:
        f.write("[default.core]\ndata_disks = [" + ", ".join(f'"{d}"' for d in configured) +
                "]\n")
    try:
        sim = Simulator(SIM, files={"app-compose.json": compose()}, args=["-c", path])
    finally:
        os.unlink(path)
    mounts = mount_devices()
    want = sorted(d for d in set(configured) if d in mounts)
    check("/proc" in want, "/proc is a mount point here")
    status, s = rpc(sim.guest, "/api/SysInfo")
    got = [d["mount_point"] for d in s["disks"]] if status == 200 else None
    check(got == want, f"SysInfo disks are the configured mounts: {got}, want {want}")
    for d in s["disks"] if status == 200 else []:
        vfs = os.statvfs(d["mount_point"])
        check(d["name"] == mounts[d["mount_point"]] and
              d["total_size"] == vfs.f_blocks * vfs.f_frsize,
              f"{d['mount_point']}: device and size of that mount: {d}")
    _, _, body = request(sim.external, "GET", "/metrics")
    labels = re.findall(r'^disk_total_size\{name="([^"]*)", mount_point="([^"]*)"\} \d+$',
                        body.decode(), re.M)
    check(labels == [(mounts[m], m) for m in want], f"/metrics disk labels: {labels}")
    check(sim.stop() == 0, "clean stop")


def upstream_gateways():
    """What default-net 0.22 reports here, found another way: the first hop `ip route get`
    names towards 1.1.1.1 (the address default-net probes), if the ARP cache has it on that
    device; at most one, IPv4 only."""
    if not check(shutil.which("ip") is not None, "ip (Debian iproute2) is installed"):
        return None
    r = subprocess.run(["ip", "route", "get", "1.1.1.1"], capture_output=True, text=True)
    m = re.search(r"\bvia (\S+) dev (\S+)", r.stdout)
    if r.returncode != 0 or m is None:
        return []
    with open("/proc/net/arp") as f:
        arp = [l.split() for l in f.readlines()[1:]]
    return [m[1]] if any(len(a) >= 6 and a[0] == m[1] and a[5] == m[2] for a in arp) else []


def test_netinfo(sim):
    status, n = rpc(sim.guest, "/api/NetworkInfo")
    check(status == 200 and n is not None, f"NetworkInfo answers ({status})")
    with open("/etc/resolv.conf") as f:
        dns = [l.split()[1] for l in f if l.startswith("nameserver") and len(l.split()) > 1]
    check(n["dns_servers"] == dns, f"dns_servers from /etc/resolv.conf: {n['dns_servers']}")
    got_gw = [g["address"] for g in n["gateways"]]
    want_gw = upstream_gateways()
    check(got_gw == want_gw, f"gateways as upstream's: {got_gw}, want {want_gw}")
    wanted = sorted(i for i in os.listdir("/sys/class/net")
                    if i == "dstack-wg0" or i.startswith(("enp", "eth")))
    names = [i["name"] for i in n["interfaces"]]
    check(names == [w for w in wanted if w in names] and all(
        x in wanted for x in names), f"only dstack-wg0/enp*/eth* reported: {names}")
    for i in n["interfaces"]:
        with open(f"/sys/class/net/{i['name']}/statistics/rx_bytes") as f:
            rx_now = int(f.read())
        check(0 < i["rx_bytes"] <= rx_now or rx_now == 0, f"{i['name']} rx_bytes from sysfs")
        with open(f"/sys/class/net/{i['name']}/statistics/tx_errors") as f:
            check(i["tx_errors"] <= int(f.read()), f"{i['name']} tx_errors from sysfs")
        check(all(0 <= a["prefix"] <= 128 and a["address"] for a in i["addresses"]),
              f"{i['name']} addresses with prefixes")
    wg = subprocess.run(["wg"], capture_output=True, text=True)
    want = wg.stdout.rstrip("\n") if wg.returncode == 0 else None
    check(want is None or n["wg_info"] == want, "wg_info is the output of wg")


def test_info(sim):
    status, g = rpc(sim.guest, "/api/Info")
    _, w = rpc(sim.external, "/prpc/Worker.Info")
    check(status == 200 and g is not None and w is not None, "Info answers")
    check(list(g.keys()) == ["version", "app_id", "instance_id", "app_cert", "tcb_info",
                             "device_id"], "GuestInfo fields in proto order")
    check(g["version"] == "0.6.0", "version")
    for k in ("app_id", "instance_id", "app_cert", "tcb_info", "device_id"):
        check(g[k] == w[k], f"GuestInfo.{k} is the Worker Info's")
    check(len(g["app_id"]) == 40 and g["tcb_info"].startswith("{"), "real ids and TCB info")


def test_bad_input(sim):
    s, j = rpc(sim.guest, "/api/NoSuch")
    check(s == 400 and j == {"error": "Service not found: NoSuch"}, "unknown method")
    s, j = rpc(sim.guest, "/api/SysInfo", '{"x":1}')
    check(s == 400 and "takes no arguments" in j["error"], "a body on an Empty method")
    for body in ("", "{}", "null", " null\n"):
        check(rpc(sim.guest, "/api/SysInfo", body)[0] == 200, f"Empty body {body!r} accepted")
    # A huge body is refused from its Content-Length, before it is read.
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(10)
    c.connect(sim.guest)
    # (more than 1 MiB over the cap: smaller excesses are read and dropped first, server.c)
    c.sendall(b"POST /api/SysInfo?json HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n")
    reply = c.recv(65536)
    c.close()
    check(reply.startswith(b"HTTP/1.1 400") and b"payload too large" in reply, "a huge body")
    try:
        request(sim.guest, "POST", "/api/SysInfo?json", body=b"{" * 8192)
    except OSError:
        pass  # the server may answer and close before the client has sent it all
    check(rpc(sim.guest, "/api/SysInfo")[0] == 200, "still answering after a huge body")
    check(request(sim.guest, "GET", "/api/SysInfo")[0] == 200, "GET works as in prpc")
    check(request(sim.guest, "POST", "/api/", body="{}")[0] == 404, "no method: 404")
    check(request(sim.guest, "POST", "/api/a/b", body="{}")[0] == 404, "two segments: 404")
    check(request(sim.guest, "POST", "/SysInfo", body="{}")[0] == 404, "the /api prefix is needed")
    # Shutdown exists on the host's listener only.
    s, j = rpc(sim.dstack, "/Shutdown")
    check(s == 400 and "Service not found" in j["error"], "no Shutdown on dstack.sock")
    s, j = rpc(sim.external, "/prpc/Shutdown")
    check(s == 400 and "Service not found" in j["error"], "no Shutdown on the Worker listener")
    s, j = rpc(sim.guest, "/api/Shutdown")
    check(s == 400 and "disabled" in j["error"], "Shutdown refused by default in the simulator")
    check(sim.proc.poll() is None, "the simulator still runs")
    s, j = rpc(sim.dstack, "/SysInfo")
    check(s == 400, "the Guest API is not on dstack.sock")


def start_with_config(config, files=None, args=None):
    import tempfile
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(config))
    try:
        return Simulator(SIM, files=files, args=["-c", path] + (args or []))
    finally:
        os.unlink(path)


def test_shutdown():
    sim = start_with_config({"guest-api": {"allow_shutdown": True}})
    s, body = rpc(sim.guest, "/api/Shutdown")
    check(s == 200 and body is None, "Shutdown answers null when allowed")
    try:
        sim.proc.wait(timeout=20)
    except Exception:
        pass
    check(sim.proc.returncode == 0, f"the simulator stopped cleanly ({sim.proc.returncode})")
    sim.stop()


NOTIFY_BODY = b'{"event":"shutdown.progress","payload":"powering off"}'


def shutdown_with_peer(host_api_url, tag):
    """A simulator whose sys-config names host_api_url and whose power-off is a stub that
    records its arguments and the time; returns (sim, stub record path)."""
    import tempfile
    tmp = tempfile.mkdtemp(prefix="dstack-poweroff-")
    mark = os.path.join(tmp, "poweroff.invoked")
    stub = os.path.join(tmp, "poweroff-stub")
    with open(stub, "w") as f:
        f.write(f'#!/bin/sh\necho "$(date +%s.%N) $*" > {mark}.tmp && mv {mark}.tmp {mark}\n')
    os.chmod(stub, 0o755)
    with open(os.path.join(FIXTURES, "upstream", "simulator", "sys-config.json")) as f:
        sys_config = json.load(f)  # upstream's, host_api_url vsock://2:12000/api replaced
    sys_config["host_api_url"] = host_api_url
    sim = start_with_config({"guest-api": {"allow_shutdown": True,
                                           "poweroff_command": [stub, "poweroff", tag]}},
                            files={"sys-config.json": json.dumps(sys_config)})
    return sim, mark


def read_mark(mark, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(mark):
            with open(mark) as f:
                return f.read().split()
        time.sleep(0.05)
    return None


def notified_once(peer, tag, want_line, want_host, cli=None):
    """Shutdown with host_api_url = peer.url: the peer gets exactly one request, want_line with
    Host want_host, Content-Length and the Notification, before the stub power-off runs."""
    sim, mark = shutdown_with_peer(peer.url, tag)
    if cli is not None:  # dstack guest shutdown: the agent's answer, exit 0
        r = subprocess.run([cli, "guest", "shutdown", "--endpoint", sim.guest],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0 and r.stdout.strip() == "null" and r.stderr == "",
              f"dstack guest shutdown: rc {r.returncode}, {r.stdout!r} {r.stderr!r}")
    else:
        s, body = rpc(sim.guest, "/api/Shutdown")
        check(s == 200 and body is None, f"Shutdown answers null ({s} {body})")
    stub = read_mark(mark)
    check(stub is not None and stub[1:] == ["poweroff", tag],
          f"{tag}: the power-off command was run with its arguments: {stub}")
    reqs = peer.wait_requests(1)
    check(len(reqs) == 1, f"{tag}: the host was notified once ({len(reqs)} requests)")
    if reqs:
        t, line, headers, got = reqs[0]
        print(f"host API peer at {peer.url} received:\n  " + line + "\n  " +
              "\n  ".join(f"{k}: {v}" for k, v in headers) + "\n\n  " + got.decode(), flush=True)
        check(line == want_line, f"{tag}: request line {line!r}")
        check(got == NOTIFY_BODY, f"{tag}: body is serde_json's Notification: {got!r}")
        check(headers == [("Host", want_host), ("Content-Length", str(len(NOTIFY_BODY)))],
              f"{tag}: only Host and Content-Length, with these values: {headers}")
        check(stub is not None and float(stub[0]) >= t, f"{tag}: notified before the power-off")
    check(f"Shutdown: host notified at {peer.url}" in sim.read_log(), f"{tag}: logged")
    check(sim.proc.poll() is None, f"{tag}: the simulator runs on (the power-off is the stub's)")
    check(sim.stop() == 0, "clean stop")
    peer.close()


def test_shutdown_notifies_host(cli=None):
    """Shutdown as upstream's: POST <host_api_url>/Notify?json with the Notification, then
    the power-off (here a stub, so the machine stays up). The peer sees the exact request, on
    TCP and on a Unix socket (host_api_url unix:PATH). vsock:// needs the kernel's vsock
    loopback, which this machine may lack: vsock_http.c is not exercised here."""
    import tempfile
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "peers", "host_api"))
    from host_api_peer import HostApiPeer
    peer = HostApiPeer()  # http://127.0.0.1:PORT/api: the path is the VMM's /api/Notify?json
    port = peer.url.split(":")[2].split("/")[0]
    notified_once(peer, "with-peer", "POST /api/Notify?json HTTP/1.1", f"127.0.0.1:{port}", cli)
    # unix:PATH: the path is /Notify?json (upstream's http-client gives the socket no prefix);
    # the Host is curl's "localhost" (upstream's hyperlocal sends the hex of the socket path
    # and ":0"; Rocket, the VMM's server, does not read it).
    d = tempfile.mkdtemp(prefix="dstack-hostapi-")
    peer = HostApiPeer(unix_path=os.path.join(d, "host.sock"))
    notified_once(peer, "unix-peer", "POST /Notify?json HTTP/1.1", "localhost")
    shutil.rmtree(d, ignore_errors=True)

    # The host's API down: the power-off goes ahead, the log says why nobody was told.
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{dead.getsockname()[1]}/api"
    dead.close()
    sim, mark = shutdown_with_peer(url, "no-peer")
    check(rpc(sim.guest, "/api/Shutdown")[0] == 200, "Shutdown answers with the host down")
    stub = read_mark(mark)
    check(stub is not None and stub[1:] == ["poweroff", "no-peer"], "powered off anyway")
    check("Shutdown: host notification failed" in sim.read_log(), "the failure is logged")
    check(sim.stop() == 0, "clean stop")


def test_tcbinfo_hidden():
    sim = Simulator(SIM, files={"app-compose.json": compose(public_tcbinfo=False)})
    s, g = rpc(sim.guest, "/api/Info")
    check(s == 200 and g["tcb_info"] == "", "tcb_info hidden when public_tcbinfo is false")
    check(sim.stop() == 0, "clean stop")


def kernel_has_vsock_loopback():
    try:
        with gzip.open("/proc/config.gz", "rt") as f:
            cfg = f.read()
        return "CONFIG_VSOCKETS_LOOPBACK=y" in cfg or "CONFIG_VSOCKETS_LOOPBACK=m" in cfg
    except OSError:
        return None  # unknown: try it


def http_over_vsock(cid, port, path):
    s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect((cid, port))
    s.sendall(f"POST {path}?json HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
              "Connection: close\r\n\r\nnull".encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_vsock():
    if not os.path.exists("/dev/vsock"):
        print("NOTE: no /dev/vsock: the handlers were tested on guest.sock only")
        return
    port = 20000 + os.getpid() % 20000
    sim = Simulator(SIM, args=["--listen-guest", f"vsock:0xffffffff:{port}"])
    check(f"listening on vsock:0xffffffff:{port}" in sim.read_log(), "the vsock listener is up")
    probe = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    try:
        probe.bind((socket.VMADDR_CID_ANY, port))
        check(False, "the agent holds the vsock port")
    except OSError as e:
        check(e.errno == errno.EADDRINUSE, f"the agent holds the vsock port ({e})")
    probe.close()
    loopback = kernel_has_vsock_loopback()
    if loopback is False:
        print("NOTE: this kernel has no vsock loopback transport (CONFIG_VSOCKETS_LOOPBACK is "
              "not set): connections to the AF_VSOCK listener cannot be made from inside; the "
              "same handlers were tested on guest.sock")
    else:
        status, body = http_over_vsock(1, port, "/api/SysInfo")  # VMADDR_CID_LOCAL
        check(status == 200 and b"total_memory" in body, "SysInfo over AF_VSOCK loopback")
        status, body = http_over_vsock(1, port, "/api/Shutdown")
        check(status == 400 and b"disabled" in body, "Shutdown refused over vsock too")
    check(sim.stop() == 0, "clean stop")


def cli_json(cli, *args):
    r = subprocess.run([cli, *args], capture_output=True, text=True, timeout=60)
    try:
        return r.returncode, json.loads(r.stdout) if r.stdout else None, r.stderr
    except ValueError:
        return r.returncode, None, r.stderr


def test_cli(sim, cli):
    """dstack guest ... and dstack worker ...: libdstack's Guest and Worker clients."""
    rc, s, _ = cli_json(cli, "guest", "sysinfo", "--endpoint", sim.guest)
    check(rc == 0 and s["total_memory"] == meminfo()["MemTotal"], "dstack guest sysinfo")
    rc, g, _ = cli_json(cli, "guest", "info", "--endpoint", sim.guest)
    _, w = rpc(sim.external, "/prpc/Worker.Info")
    check(rc == 0 and g["app_id"] == w["app_id"], "dstack guest info")
    rc, n, _ = cli_json(cli, "guest", "netinfo", "--endpoint", sim.guest)
    check(rc == 0 and "dns_servers" in n, "dstack guest netinfo")
    rc, c, err = cli_json(cli, "guest", "containers", "--endpoint", sim.guest)
    check((rc == 0 and "containers" in c) or "Docker" in err, f"dstack guest containers: {err}")
    rc, v, _ = cli_json(cli, "worker", "version", "--endpoint", sim.external)
    check(rc == 0 and v["version"] == "0.6.0", "dstack worker version")
    rc, i, _ = cli_json(cli, "worker", "info", "--endpoint", sim.external)
    check(rc == 0 and i["app_id"] == w["app_id"], "dstack worker info")
    rc, q, _ = cli_json(cli, "worker", "attest-app-key", "ed25519", "--endpoint", sim.external)
    check(rc == 0 and bytes.fromhex(q["report_data"]).startswith(b"dip1::ed25519-pk:"),
          "dstack worker attest-app-key")
    rc, _, err = cli_json(cli, "guest", "sysinfo")
    check(rc == 2 and "--endpoint is required" in err, "guest without --endpoint: usage")
    rc, _, err = cli_json(cli, "guest", "sysinfo", "--endpoint", "vsock://nope")
    check(rc != 0 and "invalid vsock endpoint" in err, f"a bad vsock endpoint: {err}")
    # dstack guest shutdown, refused by the simulator's default: exit 3 with the agent's reason
    rc, out, err = cli_json(cli, "guest", "shutdown", "--endpoint", sim.guest)
    check(rc == 3 and out is None and err.startswith("dstack guest: Shutdown failed (HTTP 400): "
                                                     "Shutdown is disabled on this agent") and
          "allow_shutdown = false" in err, f"guest shutdown refused: rc {rc}, {err!r}")
    check(sim.proc.poll() is None, "the simulator still runs after a refused shutdown")
    rc, _, err = cli_json(cli, "guest", "shutdown")
    check(rc == 2 and "--endpoint is required" in err, "guest shutdown without --endpoint: 2")
    rc, _, err = cli_json(cli, "guest", "reboot", "--endpoint", sim.guest)
    check(rc == 2 and "unknown subcommand 'reboot'" in err, f"unknown guest subcommand: {err}")
    rc, _, err = cli_json(cli, "guest", "shutdown", "--endpoint", sim.guest + ".none")
    check(rc == 3, f"guest shutdown, agent unreachable: 3 ({rc} {err!r})")


def main():
    sim = Simulator(SIM)
    if len(sys.argv) > 2:
        test_cli(sim, sys.argv[2])
    test_sysinfo(sim)
    test_netinfo(sim)
    test_info(sim)
    test_bad_input(sim)
    check(sim.stop() == 0, "clean stop")
    test_shutdown()
    test_shutdown_notifies_host(sys.argv[2] if len(sys.argv) > 2 else None)
    test_tcbinfo_hidden()
    test_data_disks()
    test_vsock()
    finish()


main()
