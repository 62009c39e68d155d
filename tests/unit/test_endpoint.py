"""Which engine cprofiler talks to: DOCKER_HOST, DOCKER_CONTEXT, the current context, the default."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import resource
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cprofiler.engine import resolve_endpoint
from cprofiler.engine.endpoint import MAX_CONFIG_BYTES
from cprofiler.errors import UsageError


def context(config: Path, name: str, host: str, *, tls: bool = False) -> None:
    """A context as ``docker context create`` writes it."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config / "contexts" / "meta" / digest
    meta.mkdir(parents=True)
    doc = {"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}}
    (meta / "meta.json").write_text(json.dumps(doc))
    if tls:
        (config / "contexts" / "tls" / digest / "docker").mkdir(parents=True)


def test_docker_host_wins_over_every_context(tmp_path):
    context(tmp_path, "colima", "unix:///colima.sock")
    e = resolve_endpoint({"DOCKER_HOST": "tcp://h:2375", "DOCKER_CONTEXT": "colima"}, tmp_path)
    assert e.host is None and e.source == "DOCKER_HOST"  # the SDK reads DOCKER_HOST and its TLS variables


def test_docker_context_names_the_context(tmp_path):
    context(tmp_path, "colima", "unix:///home/u/.colima/default/docker.sock", tls=True)
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "other"}))
    e = resolve_endpoint({"DOCKER_CONTEXT": "colima"}, tmp_path)
    assert e.host == "unix:///home/u/.colima/default/docker.sock" and e.source == "context colima"
    assert e.tls_dir is not None and e.describe() == "unix:///home/u/.colima/default/docker.sock (context colima)"


def test_the_current_context_of_config_json_is_used(tmp_path):
    context(tmp_path, "desktop-linux", "unix:///home/u/.docker/desktop/docker.sock")
    (tmp_path / "config.json").write_text(json.dumps({"auths": {}, "currentContext": "desktop-linux"}))
    assert resolve_endpoint({}, tmp_path).host == "unix:///home/u/.docker/desktop/docker.sock"


@pytest.mark.parametrize("config", [None, "{}", '{"currentContext": "default"}', "not json"])
def test_without_a_context_the_default_applies(tmp_path, config):
    if config is not None:
        (tmp_path / "config.json").write_text(config)
    e = resolve_endpoint({}, tmp_path)
    assert e.host is None and e.source == "default" and e.describe() == "unix:///var/run/docker.sock"
    assert resolve_endpoint({"DOCKER_CONTEXT": "default"}, tmp_path).host is None


def test_docker_config_moves_the_configuration_folder(tmp_path):
    context(tmp_path, "ci", "unix:///ci.sock")
    assert resolve_endpoint({"DOCKER_CONFIG": str(tmp_path), "DOCKER_CONTEXT": "ci"}).host == "unix:///ci.sock"


def test_an_unknown_or_broken_context_is_one_line_naming_it(tmp_path):
    with pytest.raises(UsageError, match=r"Docker context 'nope' \(DOCKER_CONTEXT\): no such context in .*docker context ls"):
        resolve_endpoint({"DOCKER_CONTEXT": "nope"}, tmp_path)
    context(tmp_path, "torn", "unix:///x.sock")
    meta = next((tmp_path / "contexts" / "meta").iterdir()) / "meta.json"
    meta.write_text('{"Endpoints": {}}')
    with pytest.raises(UsageError, match="cannot be read as a context"):
        resolve_endpoint({"DOCKER_CONTEXT": "torn"}, tmp_path)


# --- bounded reads of the CLI's configuration -------------------------------------------------------

#: Address space the command-line tests may use, in bytes: a read of /dev/zero stops with a
#: MemoryError there instead of taking the machine's memory.
_AS_LIMIT = 1 << 30


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_AS_LIMIT, _AS_LIMIT))


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``cprofiler ARGS`` with ``env`` (and no other DOCKER_ variable), bounded in time (60 s) and memory (_AS_LIMIT)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    return subprocess.run(
        [sys.executable, "-m", "cprofiler", *args],
        env={**base, "PYTHONPATH": os.getcwd(), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limited,
    )


def _listener(path: Path) -> socket.socket:
    """A unix socket that only records whether anyone connected: the engine is never reached."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(4)
    listener.setblocking(False)
    return listener


@pytest.mark.parametrize("chosen_by", ["current context", "DOCKER_CONTEXT", "DOCKER_HOST"])
def test_a_config_json_linked_to_dev_zero_is_one_line_naming_the_file_and_the_limit(tmp_path, chosen_by):
    """Also with DOCKER_HOST or DOCKER_CONTEXT set: the SDK reads config.json whole when it connects."""
    config = tmp_path / "docker-config"
    config.mkdir()
    (config / "config.json").symlink_to("/dev/zero")
    sock = tmp_path / "engine.sock"
    context(config, "ctx", f"unix://{sock}")
    env = {"DOCKER_CONFIG": str(config)}
    if chosen_by == "DOCKER_CONTEXT":
        env["DOCKER_CONTEXT"] = "ctx"
    elif chosen_by == "DOCKER_HOST":
        env["DOCKER_HOST"] = f"unix://{sock}"
    listener = _listener(sock)
    try:
        proc = _cli(["clean", "--images", "--dry-run"], env, tmp_path)
        assert proc.returncode == 2, proc.stderr[-2000:]
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
        assert f"{config / 'config.json'}: is a character device" in proc.stderr
        assert f"at most {MAX_CONFIG_BYTES} bytes" in proc.stderr
        with pytest.raises(BlockingIOError):
            listener.accept()  # refused before any connection
    finally:
        listener.close()


def _hung(signum: int, frame: object) -> None:
    raise AssertionError("blocked reading a named pipe")


def test_a_fifo_or_an_oversized_config_or_context_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "config.json")  # opened without O_NONBLOCK, this would wait for a writer
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(10)
    try:
        with pytest.raises(UsageError, match=r"config\.json: is a named pipe; expected a Docker configuration file"):
            resolve_endpoint({}, tmp_path)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    (tmp_path / "config.json").unlink()
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "big", "pad": "x" * MAX_CONFIG_BYTES}))
    size = (tmp_path / "config.json").stat().st_size
    with pytest.raises(UsageError, match=f"config\\.json: is {size} bytes; .* at most {MAX_CONFIG_BYTES} bytes"):
        resolve_endpoint({}, tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "big"}))
    context(tmp_path, "big", "unix:///big.sock")
    meta = next((tmp_path / "contexts" / "meta").iterdir()) / "meta.json"
    meta.unlink()
    meta.symlink_to("/dev/zero")
    with pytest.raises(UsageError, match=r"Docker context 'big' \(current\): .*meta\.json: is a character device"):
        resolve_endpoint({}, tmp_path)


def test_an_unreadable_config_json_is_passed_over_as_the_docker_cli_does(tmp_path):
    (tmp_path / "config.json").write_text('{"currentContext": "x"}')
    (tmp_path / "config.json").chmod(0)
    if os.access(tmp_path / "config.json", os.R_OK):
        pytest.skip("root reads any file")
    assert resolve_endpoint({}, tmp_path).source == "default"


# --- ssh:// without paramiko -----------------------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("paramiko") is not None, reason="paramiko is installed: ssh:// works")
def test_ssh_without_paramiko_is_one_line_saying_what_it_needs(tmp_path):
    with pytest.raises(UsageError, match=r"DOCKER_HOST 'ssh://u@h': an ssh:// engine needs the paramiko package"):
        resolve_endpoint({"DOCKER_HOST": "ssh://u@h"}, tmp_path)
    context(tmp_path, "remote", "ssh://u@remote")
    with pytest.raises(UsageError, match=r"Docker context remote 'ssh://u@remote': .*tcp:// or unix://"):
        resolve_endpoint({"DOCKER_CONTEXT": "remote"}, tmp_path)
    proc = _cli(
        ["clean", "--images", "--dry-run"], {"DOCKER_HOST": "ssh://nobody@127.0.0.1", "DOCKER_CONFIG": str(tmp_path)}, tmp_path
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr[-2000:]
    assert "pip install paramiko" in proc.stderr and "SSHHTTPAdapter" not in proc.stderr
