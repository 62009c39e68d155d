"""A corpus of broken scenario files, and hypothesis: only cprofiler's own one-line error ever escapes.

Every file under tests/data/bad/ must give exit code 2 and one line that names the file, the key
(where there is one) and what is expected; the table below says which key and which words. A file
added to the folder without a row here fails ``test_every_bad_file_has_an_expectation``.
"""

from __future__ import annotations

import os
import socket
import string
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cprofiler.errors import CprofilerError, ScenarioError
from cprofiler.scenario.reader import MAX_FILE_BYTES
from cprofiler.scenario.reader import load as load_scenario

BAD = Path(__file__).resolve().parent.parent / "data" / "bad"
#: Files in BAD that are not scenario files: what the scenario files point at.
SUPPORT = {"Dockerfile", "ctx"}

#: file → (key named in the message, or None for a fault of the whole file; words it must contain)
CASES: dict[str, tuple[str | None, str]] = {
    "a-directory.yaml": (None, "is a directory; expected a scenario YAML file"),
    "alias-bomb.yaml": (None, "expands to more than 100000 YAML nodes"),
    "allow-outside-not-boolean.yaml": ("allow_outside", "valid boolean"),
    "budget-negative.yaml": ("budgets.working_set_mib", "greater than 0 (got -16)"),
    "budget-p99-a-string.yaml": ("budgets.p99_ms", "valid number (got '50')"),
    "budget-qps-infinite.yaml": ("budgets.qps_min", "finite number (got inf)"),
    "command-a-string.yaml": ("images.app.command", "expected a list of strings"),
    "command-nul.yaml": ("images.app.command", "expected arguments without NUL characters"),
    "context-is-a-file.yaml": ("images.app.context", "expected a directory"),
    "cpus-a-word.yaml": ("images.app.cpus", "valid number"),
    "cpus-with-unit.yaml": ("images.app.cpus", "valid number"),
    "cpus-tiny.yaml": ("images.app.cpus", "expected CPUs from 0.01 (the engine's smallest limit) to 1024"),
    "cpus-zero.yaml": ("images.app.cpus", "expected CPUs from 0.01 (the engine's smallest limit) to 1024"),
    "date-out-of-range.yaml": (None, "invalid YAML: cannot read this value"),
    "deeply-nested.yaml": (None, "invalid YAML: nested too deeply"),
    "dockerfile-and-template.yaml": ("images.app", "expected exactly one of dockerfile or template"),
    "dockerfile-is-a-directory.yaml": ("images.app.dockerfile", "expected a file, ctx is a directory"),
    "duplicate-key.yaml": ("images.app.ready", "duplicate key (first at line 4)"),
    "empty.yaml": (None, "is empty; expected a mapping with an 'images' key"),
    "env-key-empty.yaml": ("images.app.env", "expected a name without '=' or NUL characters, got ''"),
    "env-key-equals.yaml": ("images.app.env", "expected a name without '=' or NUL characters, got 'A=B'"),
    "env-key-nul.yaml": ("images.app.env", "expected a name without '=' or NUL characters, got 'A\\x00B'"),
    "env-nested.yaml": ("images.app.env", "expected a string, number or boolean for 'MODE'"),
    "escape-context.yaml": ("images.app.context", "leads outside the scenario file's folder"),
    "escape-dockerfile.yaml": ("images.app.dockerfile", "leads outside the scenario file's folder"),
    "exit-false.yaml": ("images.app.ready.exit", "should be True"),
    "http-path-relative.yaml": ("images.app.ready.http.path", "expected a URL path starting with /"),
    "image-name-bad.yaml": ("images", "expected image names of lowercase letters"),
    "image-name-double-dot.yaml": ("images", "separated by one '.', one or two '_' or '-'s, at most 63 characters (got 'a..b')"),
    "image-name-trailing-dash.yaml": ("images", "expected image names of lowercase letters and digits, separated by"),
    "image-name-trailing-dot.yaml": ("images", "(got 'a.')"),
    "images-a-list.yaml": ("images", "valid dictionary"),
    "images-empty.yaml": ("images", "expected at least one image"),
    "images-missing.yaml": ("images", "required key is missing"),
    "load-duration-a-string.yaml": ("load.duration", "valid number (got '2')"),
    "load-rate-negative.yaml": ("load.rate", "greater than 0 (got -5)"),
    "load-rates-duplicate.yaml": ("load.rates", "expected each rate once, got 100 more than once; repeat: N"),
    "load-rates-nan.yaml": ("load.rates.1", "finite number (got nan)"),
    "load-rates-strings.yaml": ("load.rates.0", "valid number (got '100')"),
    "load-warmup-infinite.yaml": ("load.warmup", "finite number (got inf)"),
    "log-regex-broken.yaml": ("images.app.ready.log", "expected a valid regular expression"),
    "memory-a-word.yaml": ("images.app.memory_limit", "expected a size such as 256m"),
    "memory-bare-number.yaml": ("images.app.memory_limit", "minimum memory limit); a bare number means bytes, got 1"),
    "memory-absurd.yaml": ("images.app.memory_limit", "expected a size of at most 1024t"),
    "memory-negative.yaml": ("images.app.memory_limit", "expected a size such as 256m"),
    "memory-too-small.yaml": ("images.app.memory_limit", "expected at least 6m"),
    "missing-context.yaml": ("images.app.context", "expected a directory, no-such-context is not one"),
    "missing-dockerfile.yaml": ("images.app.dockerfile", "expected a file, no-such-folder/Dockerfile does not exist"),
    "no-dockerfile-nor-template.yaml": ("images.app", "expected exactly one of dockerfile or template"),
    "no-probe.yaml": ("images.app.ready", "expected exactly one of http, tcp, log, exit (got none)"),
    "not-utf8.yaml": (None, "is not UTF-8 text"),
    "number-5000-digits.yaml": (None, "invalid YAML: cannot read this value"),
    "only-comments.yaml": (None, "is empty"),
    "path-with-nul.yaml": ("images.app.dockerfile", "expected a usable path"),
    "port-a-word.yaml": ("images.app.ready.http.port", "valid integer"),
    "port-too-big.yaml": ("images.app.ready.http.port", "less than or equal to 65535"),
    "port-zero.yaml": ("images.app.ready.tcp.port", "greater than or equal to 1"),
    "python-tag.yaml": (None, "invalid YAML: could not determine a constructor"),
    "ready-missing.yaml": ("images.app.ready", "required key is missing"),
    "runs-boolean.yaml": ("runs", "valid integer"),
    "runs-negative.yaml": ("runs", "greater than or equal to 1"),
    "runs-not-a-number.yaml": ("runs", "valid integer"),
    "runs-zero.yaml": ("runs", "greater than or equal to 1"),
    "timeout-zero.yaml": ("timeout", "greater than 0"),
    "top-level-list.yaml": (None, "expected a mapping with an 'images' key, got a list"),
    "top-level-scalar.yaml": (None, "expected a mapping with an 'images' key, got a str"),
    "two-probes.yaml": ("images.app.ready", "expected exactly one of http, tcp, log, exit (got http, log)"),
    "unknown-key-image.yaml": ("images.app.memory", "unknown key; expected one of: dockerfile, template"),
    "unknown-key-top.yaml": ("colour", "unknown key; expected one of: runs, warmup"),
    "unknown-probe.yaml": ("images.app.ready.grpc", "unknown key; expected one of: http, tcp, log, exit"),
    "warmup-negative.yaml": ("warmup", "greater than or equal to 0"),
    "yaml-bad-indent.yaml": (None, "invalid YAML"),
    "yaml-tab-indent.yaml": (None, "invalid YAML"),
    "yaml-unclosed-bracket.yaml": (None, "invalid YAML"),
}


def message_of(path: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.exit_code == 2
    message = str(info.value)
    assert "\n" not in message and "\r" not in message, message
    return message


def test_every_bad_file_has_an_expectation():
    on_disk = {p.name for p in BAD.iterdir()} - SUPPORT
    assert on_disk == set(CASES), f"files without a row: {on_disk - set(CASES)}; rows without a file: {set(CASES) - on_disk}"
    assert len(CASES) >= 15


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_is_one_line_naming_file_key_and_expectation(name):
    key, words = CASES[name]
    path = BAD / name
    message = message_of(path)
    assert message.startswith(f"{path}:"), message
    if key is not None:
        assert f": {key}: " in message, message
    assert words in message, message


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("w") as fh:
        fh.write("images:\n")
        for i in range(60_000):
            fh.write(f"  image-{i}: {{dockerfile: Dockerfile, ready: {{exit: true}}}}\n")
    assert path.stat().st_size > MAX_FILE_BYTES
    assert "expected a scenario file of at most" in message_of(path)


def test_a_symlink_out_of_the_folder_escapes_too(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM scratch\n")
    folder = tmp_path / "scenario"
    folder.mkdir()
    (folder / "ctx").symlink_to(outside)
    path = folder / "s.yaml"
    path.write_text("images:\n  app:\n    dockerfile: ctx/Dockerfile\n    ready: {exit: true}\n")
    assert "images.app.dockerfile: ctx/Dockerfile leads outside" in message_of(path)
    # Allowed in so many words, or by an absolute path:
    path.write_text("allow_outside: true\nimages:\n  app:\n    dockerfile: ctx/Dockerfile\n    ready: {exit: true}\n")
    assert load_scenario(path).scenario.images["app"].dockerfile == outside / "Dockerfile"
    path.write_text(f"images:\n  app:\n    dockerfile: {outside / 'Dockerfile'}\n    ready: {{exit: true}}\n")
    assert load_scenario(path).scenario.images["app"].dockerfile == outside / "Dockerfile"


def test_a_symlink_loop_and_a_pipe_are_one_line(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    path = tmp_path / "s.yaml"
    path.write_text("images:\n  app:\n    dockerfile: loop\n    ready: {exit: true}\n")
    assert "images.app.dockerfile:" in message_of(path)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    assert "is not a regular file" in message_of(fifo)  # and does not block reading it


def test_a_newline_in_a_key_stays_on_one_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text('"col\\nour": 1\nimages: {app: {dockerfile: Dockerfile, ready: {exit: true}}}\n')
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    assert "col\\nour: unknown key" in message_of(path)


# --- the real command line -------------------------------------------------------------------------

SAMPLE = [
    "yaml-unclosed-bracket.yaml",
    "not-utf8.yaml",
    "a-directory.yaml",
    "alias-bomb.yaml",
    "two-probes.yaml",
    "escape-context.yaml",
    "memory-a-word.yaml",
    "missing-dockerfile.yaml",
    "load-rates-duplicate.yaml",
    "budget-qps-infinite.yaml",
]


def test_the_command_line_exits_2_with_one_line_and_never_calls_the_engine(tmp_path):
    """A bad file stops before the engine is contacted: DOCKER_HOST points at a socket that only
    records whether anyone connected."""
    sock_path = tmp_path / "engine.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(16)
    env = {**os.environ, "DOCKER_HOST": f"unix://{sock_path}"}
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "cprofiler", "measure", str(BAD / name)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for name in SAMPLE
    }
    try:
        for name, proc in procs.items():
            out, err = proc.communicate(timeout=60)
            key, words = CASES[name]
            assert proc.returncode == 2, (name, err)
            assert out == "" and err.count("\n") == 1, (name, err)
            assert err.startswith(f"cprofiler: {BAD / name}:") and words in err, (name, err)
            assert "Traceback" not in err
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected: no engine call, so no container
        assert not (tmp_path / ".cprofiler").exists()
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()
        listener.close()


def test_a_wrong_only_name_is_bad_input_naming_the_flag_and_the_choices(tmp_path):
    (tmp_path / "s.yaml").write_text(GOOD)
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "ctx").mkdir()
    p = subprocess.run(
        [sys.executable, "-m", "cprofiler", "measure", "s.yaml", "--only", "nosuch"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},  # this checkout's cprofiler
    )  # fmt: skip
    assert p.returncode == 2, p.stderr
    assert p.stderr == "cprofiler: --only nosuch: no such image in s.yaml; expected one of: app\n"


# --- property-based: whatever the bytes, only ScenarioError -------------------------------------

GOOD = """\
runs: 3
warmup: 0
settle: 0.5
images:
  app:
    dockerfile: Dockerfile
    context: ctx
    env: {MODE: http}
    memory_limit: 64m
    cpus: 0.5
    ready:
      http: {port: 8080, path: /healthz}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scenario folder with a Dockerfile and a context, so that some generated files load."""
    path = tmp_path_factory.mktemp("fuzz")
    (path / "Dockerfile").write_text("FROM scratch\n")
    (path / "ctx").mkdir()
    return path


def check(folder: Path, content: bytes) -> None:
    """``schema.load`` returns a scenario or raises ScenarioError with one line; nothing else."""
    path = folder / "s.yaml"
    path.write_bytes(content)
    try:
        loaded = load_scenario(path)
    except CprofilerError as exc:
        assert isinstance(exc, ScenarioError) and exc.exit_code == 2
        assert "\n" not in str(exc) and "\r" not in str(exc), str(exc)
        return
    assert loaded.scenario.images


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["Dockerfile", "ctx", "../..", "/", "", "256m", "1Gi", "-1", "0", "65536", "^ready", "(", "\x00", "x" * 300]),
)
keys = st.one_of(
    st.sampled_from(
        ["runs", "warmup", "settle", "timeout", "allow_outside", "images", "app", "dockerfile", "template", "context"]
        + ["args", "env", "command", "memory_limit", "cpus", "ready", "http", "tcp", "log", "exit", "port", "path"]
    ),
    st.text(max_size=10),
)
documents = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5), max_leaves=25
)


@FUZZ
@given(text=st.text(max_size=400))
def test_any_text_gives_a_scenario_or_one_line(folder, text):
    check(folder, text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(data=st.binary(max_size=400))
def test_any_bytes_give_a_scenario_or_one_line(folder, data):
    check(folder, data)


@FUZZ
@given(doc=documents)
def test_any_yaml_document_gives_a_scenario_or_one_line(folder, doc):
    check(folder, yaml.safe_dump(doc, allow_unicode=True).encode("utf-8", "surrogatepass"))


@FUZZ
@given(image=st.dictionaries(keys, documents, max_size=6), top=st.dictionaries(keys, scalars, max_size=3))
def test_any_image_entry_gives_a_scenario_or_one_line(folder, image, top):
    doc = {**top, "images": {"app": {"dockerfile": "Dockerfile", "ready": {"exit": True}, **image}}}
    check(folder, yaml.safe_dump(doc, allow_unicode=True).encode("utf-8", "surrogatepass"))


#: A good file with a slot for every value; one slot at a time gets a raw YAML token below.
TEMPLATE = """\
runs: {runs}
warmup: {warmup}
settle: {settle}
timeout: {timeout}
allow_outside: {allow_outside}
images:
  {name}:
    dockerfile: {dockerfile}
    context: {context}
    env: {{MODE: {mode}}}
    command: {command}
    memory_limit: {memory_limit}
    cpus: {cpus}
    ready:
      http: {{port: {port}, path: {path}}}
"""
SLOTS = {
    "runs": "3",
    "warmup": "0",
    "settle": "0.5",
    "timeout": "10",
    "allow_outside": "false",
    "name": "app",
    "dockerfile": "Dockerfile",
    "context": "ctx",
    "mode": "http",
    "command": '["/testapp"]',
    "memory_limit": "64m",
    "cpus": "0.5",
    "port": "8080",
    "path": "/healthz",
}
#: Raw YAML that PyYAML, pydantic or pathlib have each been seen to choke on in some way.
NASTY = [
    "2024-02-30",
    "2024-13-01",
    "2001-12-14t21:59:43.10-05:00",
    "1" + "0" * 5000,
    "9" * 40 + "m",
    "1e999",
    ".nan",
    ".inf",
    "-.inf",
    "0x1F",
    "0o17",
    "1_000",
    "~",
    "null",
    "yes",
    "no",
    "on",
    "true",
    "-1",
    "0",
    "3.5",
    "-256m",
    "1m",
    "1.5Gi",
    '"Docker\\0file"',
    '"\\x00"',
    "'../..'",
    "/",
    "..",
    "''",
    '"' + "x" * 5000 + '"',
    "!!binary aGVsbG8=",
    "!!set {a}",
    "!!python/name:os.system",
    "!!str",
    "[]",
    "{}",
    "[1, [2, [3]]]",
    "{a: {b: c}}",
    "&x [*x]",
    "*nope",
    "<<: {a: 1}",
    '"a\\nb"',
    "'(unclosed'",
    "|\n  text",
    "@at",
    "`tick",
    "%TAG",
    "? complex",
    "- item",
]
tokens = st.one_of(st.sampled_from(NASTY), st.text(alphabet=string.printable, max_size=12), st.integers().map(str))


@FUZZ
@given(slot=st.sampled_from(sorted(SLOTS)), token=tokens)
def test_one_raw_value_anywhere_gives_a_scenario_or_one_line(folder, slot, token):
    check(folder, TEMPLATE.format(**{**SLOTS, slot: token}).encode())


def test_the_template_itself_loads(folder):
    path = folder / "template.yaml"
    path.write_text(TEMPLATE.format(**SLOTS))
    assert load_scenario(path).scenario.images["app"].ready.http.port == 8080


@FUZZ
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, len(GOOD)), st.integers(0, 3), st.text(alphabet=string.printable + "{}[]&*!|>'\"%@`", max_size=4)
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_good_file_with_typos_gives_a_scenario_or_one_line(folder, edits):
    text = GOOD
    for at, cut, insert in edits:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut :]
    check(folder, text.encode())
