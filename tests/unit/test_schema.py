"""The scenario file: what loads, and the one-line errors for what does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from cprofiler.errors import ScenarioError
from cprofiler.scenario.model import parse_size
from cprofiler.scenario.reader import load as load_scenario

GOOD = """\
runs: 5
images:
  app:
    dockerfile: Dockerfile
    args: {BASE: "python:3.12-alpine", N: 3}
    memory_limit: 256m
    cpus: 0.5
    env: {DEBUG: true}
    ready:
      http: {port: 8080, path: /healthz}
"""


def write(tmp_path: Path, text: str | bytes, name: str = "s.yaml") -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def error_of(tmp_path: Path, text: str | bytes) -> str:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(write(tmp_path, text))
    assert exc.value.exit_code == 2
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_good_file_loads_with_paths_resolved(tmp_path):
    loaded = load_scenario(write(tmp_path, GOOD))
    sc = loaded.scenario
    assert sc.runs == 5 and sc.warmup == 1 and sc.settle == 1.0 and sc.timeout == 60
    app = sc.images["app"]
    assert app.dockerfile == tmp_path / "Dockerfile" and app.build_context == tmp_path
    assert app.args == {"BASE": "python:3.12-alpine", "N": "3"} and app.env == {"DEBUG": "true"}
    assert app.memory_limit == 256 << 20 and app.cpus == 0.5
    assert app.ready.kind == "http" and app.ready.http.path == "/healthz"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace("    cpus: 0.5\n", "    cpus: 0.5\n    colour: red\n"),
            "s.yaml:8: images.app.colour: unknown key; expected one of",
        ),
        (GOOD.replace("runs: 5", "runs: 0"), "s.yaml:1: runs: Input should be greater than or equal to 1"),
        (GOOD.replace("runs: 5", "runs: ten"), "runs: Input should be a valid integer"),
        (
            GOOD.replace("      http: {port: 8080, path: /healthz}\n", "      http: {port: 8080}\n      log: ready\n"),
            "images.app.ready: expected exactly one of http, tcp, log, exit (got http, log)",
        ),
        (
            GOOD.replace("      http: {port: 8080, path: /healthz}\n", "      {}\n"),
            "exactly one of http, tcp, log, exit (got none)",
        ),
        (GOOD.replace("port: 8080", "port: 70000"), "images.app.ready.http.port: Input should be less than or equal to 65535"),
        (GOOD.replace("256m", "lots"), "images.app.memory_limit: expected a size such as 256m or 1Gi"),
        (
            GOOD.replace("dockerfile: Dockerfile", "dockerfile: Nope"),
            "s.yaml:4: images.app.dockerfile: expected a file, Nope does not exist",
        ),
        (GOOD.replace("    dockerfile: Dockerfile\n", ""), "images.app: expected exactly one of dockerfile or template"),
        (GOOD.replace("path: /healthz", "path: healthz"), "expected a URL path starting with /"),
        (
            GOOD.replace("ready:\n      http: {port: 8080, path: /healthz}", "ready:\n      log: '(unclosed'"),
            "expected a valid regular expression",
        ),
        ("runs: [1\n", "s.yaml:2: invalid YAML"),
        ("", "is empty"),
        ("- a\n- b\n", "expected a mapping with an 'images' key, got a list"),
        ("runs: 3\n", "images: required key is missing"),
        (GOOD.replace("  app:", "  App!:"), "expected image names of lowercase letters"),
        (GOOD.replace("command", "x") + "    command: /bin/app\n", "images.app.command: expected a list of strings"),
    ],
)
def test_bad_files_name_file_line_key_and_expectation(tmp_path, text, expected):
    assert expected in error_of(tmp_path, text)


def test_not_utf8(tmp_path):
    assert "is not UTF-8" in error_of(tmp_path, b"runs: \xff\xfe\n")


def test_directory_and_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")


def test_alias_bomb_is_refused_quickly(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        bomb += f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    assert "more than 100000 YAML nodes" in error_of(tmp_path, bomb)


@pytest.mark.parametrize(
    ("text", "value"), [("256m", 256 << 20), ("1g", 1 << 30), ("512Mi", 512 << 20), ("64MiB", 64 << 20), (10 << 20, 10 << 20)]
)
def test_parse_size(text, value):
    assert parse_size(text) == value


def test_parse_size_refuses_below_engine_minimum():
    with pytest.raises(ValueError, match="at least 6m"):
        parse_size("1m")


# --- load and budget keys: strict and finite, as the run keys are ------------------------------

HTTP_IMAGE = "images:\n  app:\n    dockerfile: Dockerfile\n    ready: {http: {port: 8080}}\n"


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        ('load: {duration: "2"}', "s.yaml:1: load.duration: Input should be a valid number (got '2')"),
        ("load: {duration: true}", "load.duration: Input should be a valid number (got True)"),
        ("load: {duration: .nan}", "load.duration: Input should be a finite number"),
        ('load: {warmup: "1"}', "load.warmup: Input should be a valid number"),
        ("load: {after: -1}", "load.after: Input should be greater than or equal to 0"),
        ("load: {after: .inf}", "load.after: Input should be a finite number"),
        ('load: {rate: "100"}', "load.rate: Input should be a valid number (got '100')"),
        ("load: {rate: .nan}", "load.rate: Input should be a finite number"),
        ("load: {rate: 0}", "load.rate: Input should be greater than 0"),
        ('load: {rates: ["100"]}', "load.rates.0: Input should be a valid number (got '100')"),
        ("load: {rates: [100, -1]}", "load.rates.1: Input should be greater than 0"),
        ("load: {rates: [.inf]}", "load.rates.0: Input should be a finite number"),
        ("load: {rates: [.nan]}", "load.rates.0: Input should be a finite number"),
        ("load: {rates: [true]}", "load.rates.0: Input should be a valid number"),
        ("load: {rates: [100, 100]}", "load.rates: expected each rate once, got 100 more than once"),
        ("load: {rates: [50, 100.0, 100]}", "load.rates: expected each rate once, got 100 more than once"),
        ('load: {rates: [1], slo: {p99_ms: "50"}}', "load.slo.p99_ms: Input should be a valid number"),
        ("load: {rates: [1], slo: {p99_ms: .inf}}", "load.slo.p99_ms: Input should be a finite number"),
        ("budgets: {qps_min: .inf}", "s.yaml:1: budgets.qps_min: Input should be a finite number (got inf)"),
        ("budgets: {p99_ms: .nan}", "budgets.p99_ms: Input should be a finite number"),
        ('budgets: {cold_start_p95_ms: "500"}', "budgets.cold_start_p95_ms: Input should be a valid number (got '500')"),
        ("budgets: {image_size_mib: -1}", "budgets.image_size_mib: Input should be greater than 0"),
        ("settle: .nan", "settle: Input should be a finite number"),
        ("timeout: .inf", "timeout: Input should be a finite number"),
    ],
)
def test_load_and_budget_keys_are_strict_finite_and_positive(tmp_path, top, expected):
    assert expected in error_of(tmp_path, f"{top}\n{HTTP_IMAGE}")


def test_whole_numbers_are_numbers_for_every_load_and_budget_key(tmp_path):
    text = "load: {duration: 3, warmup: 0, after: 1, rates: [100, 250.5], slo: {p99_ms: 50}}\n"
    text += "budgets: {qps_min: 10, p99_ms: 2.5}\n" + HTTP_IMAGE
    sc = load_scenario(write(tmp_path, text)).scenario
    load = sc.load_for("app")
    assert load is not None and load.duration == 3 and load.step_rates() == [100, 250.5]
    assert sc.budgets_for("app").set() == {"qps_min": 10, "p99_ms": 2.5}  # type: ignore[union-attr]
