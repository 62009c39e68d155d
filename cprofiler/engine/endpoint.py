"""Which engine to talk to: the docker CLI's precedence of ``DOCKER_HOST``, ``DOCKER_CONTEXT``,
the current Docker context and the default socket, read without the SDK (pure file reading)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cprofiler.errors import UsageError

#: Where the engine listens when nothing else says: the docker CLI's default.
DEFAULT_HOST = "unix:///var/run/docker.sock"


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
    """
    if environ.get("DOCKER_HOST"):
        return Endpoint(None, "DOCKER_HOST")
    config_dir = config_dir or docker_config_dir(environ)
    name, why = environ.get("DOCKER_CONTEXT") or "", "DOCKER_CONTEXT"
    if not name:
        name, why = _current_context(config_dir), "current"
    if not name or name == "default":
        return Endpoint(None, "default")
    return _context_endpoint(config_dir, name, why)


def _context_endpoint(config_dir: Path, name: str, why: str) -> Endpoint:
    """The endpoint Docker context ``name`` names (``why``: what chose it, for messages)."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config_dir / "contexts" / "meta" / digest / "meta.json"
    where = f"Docker context {name!r} ({why})"
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        endpoint = data["Endpoints"]["docker"]
        host = str(endpoint["Host"])
    except FileNotFoundError:
        raise UsageError(f"{where}: no such context in {config_dir / 'contexts'}; `docker context ls` lists them") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
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


def _current_context(config_dir: Path) -> str:
    """``currentContext`` of the CLI's ``config.json``; empty when there is none to read."""
    try:
        value = json.loads((config_dir / "config.json").read_text(encoding="utf-8")).get("currentContext")
    except (OSError, ValueError, AttributeError):
        return ""  # no config, or one we cannot read: the CLI falls back to the default too
    return value if isinstance(value, str) else ""
