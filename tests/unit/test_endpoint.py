"""Which engine cprofiler talks to: DOCKER_HOST, DOCKER_CONTEXT, the current context, the default."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from cprofiler.engine import resolve_endpoint
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
