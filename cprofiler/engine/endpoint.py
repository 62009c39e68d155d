"""Which engine to talk to: the docker CLI's precedence of ``DOCKER_HOST``, ``DOCKER_CONTEXT``,
the current Docker context and the default socket, read without the SDK (pure file reading)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cprofiler.errors import UsageError
from cprofiler.results.files import read_bounded

#: Where the engine listens when nothing else says: the docker CLI's default.
DEFAULT_HOST = "unix:///var/run/docker.sock"
#: Largest Docker CLI configuration file read (``config.json``, a context's ``meta.json``), in
#: bytes: the docker CLI writes a few kilobytes; beyond this it is not a configuration file.
MAX_CONFIG_BYTES = 1 << 20
_CONFIG_EXPECTED = f"a Docker configuration file (a regular file of at most {MAX_CONFIG_BYTES} bytes)"


@dataclass(frozen=True)
class Endpoint:
    """The engine to talk to, and what named it."""

    #: ``unix:///…``, ``tcp://…``, ``ssh://…``; None: the SDK's own default from the environment.
    host: str | None
    #: ``DOCKER_HOST``, ``context NAME (DOCKER_CONTEXT)``, ``context NAME (current)`` or ``default``.
    source: str
    #: The context's TLS files (``ca.pem``, ``cert.pem``, ``key.pem``), when it has any.
    tls_dir: Path | None = None
    #: The context says not to verify the engine's certificate.
    skip_tls_verify: bool = False

    def describe(self) -> str:
        """``unix:///var/run/docker.sock`` or ``unix:///… (context colima)``: for messages."""
        host = self.host or os.environ.get("DOCKER_HOST") or DEFAULT_HOST
        return host if self.source in ("default", "DOCKER_HOST") else f"{host} ({self.source})"


def docker_config_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The docker CLI's configuration folder: ``$DOCKER_CONFIG``, else ``~/.docker``."""
    return Path(environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def resolve_endpoint(environ: Mapping[str, str] = os.environ, config_dir: Path | None = None) -> Endpoint:
    """Return the engine endpoint by the docker CLI's precedence:
    ``DOCKER_HOST`` > ``DOCKER_CONTEXT`` > the current context of ``config.json`` > the default.

    A context is read from ``contexts/meta/<sha256 of its name>/meta.json`` under the CLI's
    configuration folder, its TLS files from ``contexts/tls/<same>/docker/``. Docker Desktop,
    colima and rootless engines are reached through a context, not the default socket. A context
    that does not exist or cannot be read is a UsageError naming it and where it was looked for.

    Every configuration file is read bounded (:data:`MAX_CONFIG_BYTES`, regular files only), also
    the one the SDK reads whole when it connects: ``config.json`` linked to ``/dev/zero`` is one
    UsageError, not memory filling up. An ``ssh://`` endpoint the SDK cannot reach (it needs
    paramiko) is a UsageError too, before any connection is tried.
    """
    config_dir = config_dir or docker_config_dir(environ)
    config = _read_config(config_dir / "config.json")
    sdk_file = _sdk_config_file(environ)
    if sdk_file is not None and sdk_file != config_dir / "config.json":
        _read_config(sdk_file)
    endpoint = _choose(environ, config_dir, config)
    _check_transport(endpoint, endpoint.host or environ.get("DOCKER_HOST") or "")
    return endpoint


def _choose(environ: Mapping[str, str], config_dir: Path, config: Any) -> Endpoint:
    """The endpoint by precedence, ``config`` being the CLI's ``config.json`` (None: none to read)."""
    if environ.get("DOCKER_HOST"):
        return Endpoint(None, "DOCKER_HOST")
    name, why = environ.get("DOCKER_CONTEXT") or "", "DOCKER_CONTEXT"
    if not name:
        value = config.get("currentContext") if isinstance(config, dict) else None
        name, why = (value if isinstance(value, str) else ""), "current"
    if not name or name == "default":
        return Endpoint(None, "default")
    return _context_endpoint(config_dir, name, why)


def _check_transport(endpoint: Endpoint, host: str) -> None:
    """Refuse an ``ssh://`` endpoint when paramiko is missing: the SDK's ssh transport imports it
    (also when it runs the ssh program), and without it fails with a NameError of its own."""
    if not host.startswith("ssh://") or importlib.util.find_spec("paramiko") is not None:
        return
    named = "DOCKER_HOST" if endpoint.source == "DOCKER_HOST" else f"Docker {endpoint.source}"
    raise UsageError(
        f"{named} {host.splitlines()[0][:200]!r}: an ssh:// engine needs the paramiko package "
        "(pip install paramiko); install it, or reach the engine at a tcp:// or unix:// address"
    )


def _sdk_config_file(environ: Mapping[str, str]) -> Path | None:
    """The configuration file the Docker SDK reads when it connects: the first that exists of
    ``$DOCKER_CONFIG/config.json``, ``~/.docker/config.json`` and ``~/.dockercfg``."""
    home = Path(environ.get("HOME") or Path.home())
    candidates = [home / ".docker" / "config.json", home / ".dockercfg"]
    if environ.get("DOCKER_CONFIG"):
        candidates.insert(0, Path(environ["DOCKER_CONFIG"]) / "config.json")
    return next((p for p in candidates if p.exists()), None)


def _read_config(path: Path) -> Any:
    """The JSON of a Docker configuration file; None when it is absent, not readable by this user
    or not JSON (the docker CLI goes on without it too). UsageError naming the file and the limit
    when it is not a regular file or is over MAX_CONFIG_BYTES."""
    try:
        os.stat(path)
    except OSError:
        return None
    if not os.access(path, os.R_OK):
        return None
    raw = read_bounded(
        path, where=str(path), limit=MAX_CONFIG_BYTES, expected=_CONFIG_EXPECTED, sized="a Docker configuration file"
    )
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _context_endpoint(config_dir: Path, name: str, why: str) -> Endpoint:
    """The endpoint Docker context ``name`` names (``why``: what chose it, for messages)."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config_dir / "contexts" / "meta" / digest / "meta.json"
    where = f"Docker context {name!r} ({why})"
    if not meta.exists():
        raise UsageError(f"{where}: no such context in {config_dir / 'contexts'}; `docker context ls` lists them")
    raw = read_bounded(meta, where=f"{where}: {meta}", limit=MAX_CONFIG_BYTES, expected=_CONFIG_EXPECTED, sized="a context")
    try:
        data = json.loads(raw.decode("utf-8"))
        endpoint = data["Endpoints"]["docker"]
        host = str(endpoint["Host"])
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise UsageError(
            f"{where}: {meta} cannot be read as a context ({exc}); expected what `docker context create` writes"
        ) from None
    tls = config_dir / "contexts" / "tls" / digest / "docker"
    return Endpoint(
        host,
        f"context {name}",
        tls_dir=tls if tls.is_dir() else None,
        skip_tls_verify=bool(endpoint.get("SkipTLSVerify")),
    )
