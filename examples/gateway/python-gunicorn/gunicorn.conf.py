"""gunicorn settings for the gateway sample: gthread workers sized to the container's CPUs.

WORKERS (default: the CPUs this container may use, rounded up, at least 1). Each worker is a
process with its own interpreter and GIL, so one per CPU is what lets Python use every core the
container has; the JWT check is CPU-bound, so more workers than CPUs only add memory (each is a
full interpreter, about 20 MiB) and context switches. gunicorn's usual "2 x cores + 1" is for
sync workers, which sit blocked on slow clients; gthread workers do not. os.cpu_count() would
be wrong here: it counts the host's CPUs, not the container's --cpus quota or --cpuset-cpus.

THREADS (default 4) per worker. A thread takes a request only while it is being handled; idle
keep-alive connections wait in the worker's selector, so threads need not match connections.
Python code holds the GIL, but socket reads and writes release it, so a few threads overlap one
request's I/O with another's check; many more only contend for the GIL.

Each worker holds at most worker_connections (1000) connections; 500 load connections fit in
one worker. The readiness line is printed by the first worker that can serve, not by the
master, which binds the socket before any worker has imported the app.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path


def container_cpus() -> int:
    """The CPUs this process may use: its affinity mask, capped by a cgroup CPU quota, rounded up."""
    cpus = float(len(os.sched_getaffinity(0)))
    quota_files = [
        ("/sys/fs/cgroup/cpu.max", None),  # cgroup v2: "QUOTA PERIOD" or "max PERIOD"
        ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us"),  # v1
        ("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us"),
    ]
    for quota_path, period_path in quota_files:
        try:
            if period_path is None:
                quota, period = Path(quota_path).read_text().split()
            else:
                quota, period = Path(quota_path).read_text().strip(), Path(period_path).read_text().strip()
        except (OSError, ValueError):
            continue
        if quota not in ("max", "-1") and int(period) > 0:
            cpus = min(cpus, int(quota) / int(period))
        break
    return max(1, math.ceil(cpus))


bind = f"0.0.0.0:{os.environ.get('PORT', '8080')}"
worker_class = "gthread"
workers = int(os.environ.get("WORKERS") or container_cpus())
threads = int(os.environ.get("THREADS") or 4)
# gunicorn's default too; stated because 500 clients connect at once (socketserver's is 5).
backlog = 2048
# An admin channel (gunicornc) that nobody uses here; it would also want a writable $HOME.
control_socket_disable = True
accesslog = None  # a line per request would cost more than the request under load
errorlog = "-"
loglevel = "info"

# Created by the first worker that is ready; later workers (and restarted ones) stay silent.
_READY_MARKER = Path(tempfile.gettempdir(), "gateway-gunicorn.ready")


def on_starting(server: object) -> None:
    _READY_MARKER.unlink(missing_ok=True)  # a restarted container keeps its files


def post_worker_init(worker: object) -> None:
    # Called in the worker after it has imported the app, just before its accept loop.
    stamp = time.monotonic_ns()
    try:
        os.close(os.open(_READY_MARKER, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return
    except OSError:
        pass  # no writable temp folder: every worker prints, and the first line still counts
    print(f"ready monotonic_ns={stamp}", flush=True)
