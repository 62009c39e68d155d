"""Gunicorn settings for the article's Flask gateway.

WORKERS: a number, or ``cpus`` for one worker per CPU this container may use (its affinity mask
capped by its cgroup CPU quota, rounded up; os.cpu_count() would count the host's). Default 1,
gunicorn's own default, which is what ``gunicorn app:app`` runs: the article does not say more.
The worker class is gunicorn's default, ``sync``: one request at a time per worker, and no
keep-alive (the connection closes after each answer), so 500 users queue in the listen backlog.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path


def container_cpus() -> int:
    cpus = float(len(os.sched_getaffinity(0)))
    try:  # cgroup v2: "QUOTA PERIOD" or "max PERIOD"
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
    except (OSError, ValueError):
        try:  # cgroup v1
            base = next(p for p in ("/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct") if Path(p).is_dir())
            quota = Path(base, "cpu.cfs_quota_us").read_text().strip()
            period = Path(base, "cpu.cfs_period_us").read_text().strip()
        except (OSError, StopIteration):
            quota, period = "max", "1"
    if quota not in ("max", "-1") and int(period) > 0:
        cpus = min(cpus, int(quota) / int(period))
    return max(1, math.ceil(cpus))


_workers = os.environ.get("WORKERS", "1")
bind = "0.0.0.0:8080"
workers = container_cpus() if _workers == "cpus" else int(_workers)
backlog = 2048  # gunicorn's default, stated: 500 clients connect at once
control_socket_disable = True  # an admin channel nobody uses here; it would want a writable $HOME
accesslog = None  # a line per request would cost more than the request under load
errorlog = "-"

# The first worker to be ready prints the ready line; later (and restarted) workers stay silent.
_READY_MARKER = Path(tempfile.gettempdir(), "article-gunicorn.ready")


def on_starting(server: object) -> None:
    _READY_MARKER.unlink(missing_ok=True)


def post_worker_init(worker: object) -> None:
    stamp = time.monotonic_ns()
    try:
        os.close(os.open(_READY_MARKER, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return
    except OSError:
        pass
    print(f"ready monotonic_ns={stamp}", flush=True)
