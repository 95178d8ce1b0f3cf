"""Docker for the tests: the daemon must answer (scripts/test.sh starts it when absent), and a
tiny image is made from busybox-static with `docker import` (no registry)."""

import os
import shutil
import subprocess
import tarfile
import tempfile

from harness import fatal

IMAGE = "dstack-test-busybox:1"
BUSYBOX = "/bin/busybox"


def docker(*args, check=True, timeout=60):
    r = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout.strip()


def require_docker():
    if shutil.which("docker") is None:
        fatal("the docker command is missing (apt-get install docker.io; scripts/deps.sh --test)")
    r = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        fatal("dockerd is not answering on /var/run/docker.sock (scripts/test.sh starts it): "
              + r.stderr.strip())
    if not os.path.exists(BUSYBOX):
        fatal(f"{BUSYBOX} is missing (apt-get install busybox-static)")
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode:
        with tempfile.TemporaryDirectory() as d:
            tar = os.path.join(d, "rootfs.tar")
            with tarfile.open(tar, "w") as t:
                t.add(BUSYBOX, arcname="bin/busybox")
                link = tarfile.TarInfo("bin/sh")
                link.type = tarfile.SYMTYPE
                link.linkname = "busybox"
                t.addfile(link)
            docker("import", tar, IMAGE)


def run_container(name, script, tty=False):
    """Starts a container running /bin/sh -c script; returns its id."""
    docker("rm", "-f", name, check=False)
    args = ["run", "-d", "--name", name] + (["-t"] if tty else []) + [IMAGE, "/bin/sh", "-c", script]
    return docker(*args)


def remove(*names):
    for n in names:
        docker("rm", "-f", n, check=False)
