"""A unix-socket forwarder to the Docker engine, run as its own process.

``python -m tests.engine.socket_proxy LISTEN TARGET`` forwards every connection on LISTEN to
TARGET byte for byte (HTTP, and the attach streams the engine upgrades to). A test points
DOCKER_HOST at LISTEN and kills this process mid-measurement: to cprofiler the engine is then gone
(open connections drop, new ones are refused) while the real engine, shared with others, runs on.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)  # pass the end of one direction on, as TCP would
    except OSError:
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def serve(listen: str, target: str) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(listen)
    server.listen(64)
    print("ready", flush=True)
    while True:
        client, _ = server.accept()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(target)
        except OSError:
            client.close()
            continue
        threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
