"""Ready at the first 2xx answer to ``GET path``."""

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
            parts = head.split(b" ", 2)
            return len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1][:1] == b"2"

        poll_connect(watch, target, self.spec.http.port, attempt)
