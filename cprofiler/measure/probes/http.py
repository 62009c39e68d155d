"""Ready at the first answer to ``GET path`` with a status from 200 to 399, as the kubelet's httpGet
probe counts success: a ``/healthz`` that redirects is ready here exactly when it would be in a
cluster (the redirect is not followed, as the kubelet does not follow one to another host)."""

from __future__ import annotations

import socket

from cprofiler.measure.probes.base import Probe, Target, Watch, poll_connect
from cprofiler.measure.probes.registry import PROBES


@PROBES.register("http")
class HttpProbe(Probe):
    def ports(self) -> list[int]:
        assert self.spec.http is not None
        return [self.spec.http.port]

    def begin(self, watch: Watch, target: Target) -> None:
        assert self.spec.http is not None
        request = f"GET {self.spec.http.path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()

        def attempt(s: socket.socket) -> bool:
            s.sendall(request)
            head = b""
            while b"\r\n" not in head and len(head) < 256:
                chunk = s.recv(256)
                if not chunk:
                    break
                head += chunk
            return ready_status(head)

        poll_connect(watch, target, self.spec.http.port, attempt)


def ready_status(head: bytes) -> bool:
    """True when the status line at the start of ``head`` has a status from 200 to 399."""
    parts = head.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        return False
    code = parts[1].strip()
    return len(code) == 3 and code.isdigit() and 200 <= int(code) <= 399
