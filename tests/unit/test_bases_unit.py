"""The stand-in bases without an engine: mirror discovery from apt's files, inputs hashes, the registry."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from cprofiler.errors import BuildError, CprofilerError, UsageError
from cprofiler.images.bases import build, catalog, checks, dockerfile, inputs, probing, registry
from cprofiler.images.bases.checks import RequirementError, check_free_space
from cprofiler.images.bases.inputs import recipe_inputs_hash, stand_in_tags
from cprofiler.images.bases.mirror import (
    ENV_MIRROR,
    Mirror,
    apt_conf_text,
    choose_mirror,
    find_mirror,
    host_entries,
    parse_apt_config_dump,
    parse_deb822,
    parse_one_line,
    sources_text,
    write_apt_dir,
)
from cprofiler.images.bases.registry import RECIPES, BuildJob, Recipe
from cprofiler.labels import LABEL_DETAIL, LABEL_MISSING

# Placeholder hosts (the .test top-level domain is reserved and never resolves).
ARCHIVE = "http://mirror.test/debian"
SECURITY = "http://mirror.test/debian-security"

DEB822 = f"""\
Types: deb
# http://snapshot.test/archive/debian/20250520T000000Z
URIs: {ARCHIVE}
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: {SECURITY}
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

THIRD_PARTY = """\
Types: deb
URIs: https://vendor.test/node_20.x
Suites: nodistro
Components: main
Signed-By: /usr/share/keyrings/vendor.gpg
"""


def write_apt(tmp_path: Path, files: dict[str, str]) -> Path:
    apt = tmp_path / "apt"
    for rel, text in files.items():
        path = apt / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return apt


# --- parsing ------------------------------------------------------------------------------------


def test_deb822_skips_comments_and_keeps_every_suite() -> None:
    entries = parse_deb822(DEB822)
    assert [e.uri for e in entries] == [ARCHIVE, SECURITY]
    assert entries[0].suites == ("bookworm", "bookworm-updates")
    assert entries[0].types == ("deb",)
    assert entries[0].signed_by == "/usr/share/keyrings/debian-archive-keyring.gpg"


def test_deb822_disabled_stanza_and_several_uris() -> None:
    text = f"Types: deb deb-src\nURIs: {ARCHIVE} http://other.test/debian\nSuites: bookworm\nComponents: main\n\n"
    text += "Enabled: no\nTypes: deb\nURIs: http://off.test/debian\nSuites: bookworm\nComponents: main\n"
    entries = parse_deb822(text)
    assert [e.uri for e in entries] == [ARCHIVE, "http://other.test/debian"]
    assert entries[0].types == ("deb", "deb-src")


def test_one_line_format_with_options_and_comments() -> None:
    text = (
        "# a comment\n"
        f"deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {ARCHIVE} bookworm main contrib\n"
        f"deb-src {ARCHIVE} bookworm main  # trailing comment\n"
        "deb cdrom:[Debian]/ bookworm main\n"
        "not a source line\n"
    )
    entries = parse_one_line(text)
    assert [(e.types, e.uri, e.suites) for e in entries] == [
        (("deb",), ARCHIVE, ("bookworm",)),
        (("deb-src",), ARCHIVE, ("bookworm",)),
        (("deb",), "cdrom:[Debian]/", ("bookworm",)),
    ]
    assert entries[0].components == ("main", "contrib")
    assert entries[0].signed_by == "/usr/share/keyrings/debian-archive-keyring.gpg"


def test_apt_config_dump_options() -> None:
    dump = 'APT "";\nAcquire::Check-Valid-Until "false";\nacquire::check-date "false";\nAcquire::Retries "3";\n'
    assert parse_apt_config_dump(dump) == (("Acquire::Check-Valid-Until", "false"), ("Acquire::Check-Date", "false"))
    assert parse_apt_config_dump('APT "";\n') == ()


# --- choosing -----------------------------------------------------------------------------------


def test_host_mirror_from_sources_d_skips_third_party_and_disabled_files(tmp_path: Path) -> None:
    apt = write_apt(
        tmp_path,
        {
            "sources.list.d/aaa-vendor.sources": THIRD_PARTY,
            "sources.list.d/debian.sources": DEB822,
            "sources.list.d/old.list.disabled-by-farm": "deb http://disabled.test/debian bookworm main\n",
        },
    )
    mirror = find_mirror(apt_dir=apt, environ={}, apt_options=())
    assert mirror.archive == ARCHIVE
    assert mirror.security == SECURITY
    assert mirror.origin.endswith("debian.sources")


def test_host_mirror_from_sources_list_one_line(tmp_path: Path) -> None:
    apt = write_apt(tmp_path, {"sources.list": f"deb {ARCHIVE}/ bookworm main\n"})
    mirror = find_mirror(apt_dir=apt, environ={}, apt_options=())
    assert (mirror.archive, mirror.security) == (ARCHIVE, None)


def test_security_entry_alone_is_no_mirror() -> None:
    assert choose_mirror(parse_deb822(DEB822)[1:]) is None


def test_explicit_mirror_beats_environment_beats_apt(tmp_path: Path) -> None:
    apt = write_apt(tmp_path, {"sources.list.d/debian.sources": DEB822})
    env = {ENV_MIRROR: "http://env.test/debian/"}
    assert find_mirror(apt_dir=apt, environ=env, apt_options=()).archive == "http://env.test/debian"
    assert find_mirror("http://flag.test/debian", apt_dir=apt, environ=env, apt_options=()).origin == "--mirror"


def test_no_mirror_is_one_clear_error(tmp_path: Path) -> None:
    apt = write_apt(tmp_path, {"sources.list.d/vendor.sources": THIRD_PARTY})
    with pytest.raises(RequirementError, match="--mirror") as err:
        find_mirror(apt_dir=apt, environ={}, apt_options=())
    assert isinstance(err.value, CprofilerError)


def test_mirror_must_be_http(tmp_path: Path) -> None:
    with pytest.raises(RequirementError, match="not an http"):
        find_mirror("ftp.test/debian", apt_dir=tmp_path, environ={}, apt_options=())


def test_host_entries_of_an_empty_dir(tmp_path: Path) -> None:
    assert host_entries(tmp_path) == []


# --- writing ------------------------------------------------------------------------------------


def test_sources_for_the_images(tmp_path: Path) -> None:
    mirror = Mirror(ARCHIVE, SECURITY, "test", (("Acquire::Check-Valid-Until", "false"),))
    text = sources_text(mirror, "bookworm")
    entries = parse_deb822(text)
    assert [(e.uri, e.suites) for e in entries] == [
        (ARCHIVE, ("bookworm", "bookworm-updates")),
        (SECURITY, ("bookworm-security",)),
    ]
    assert apt_conf_text(mirror) == 'Acquire::Check-Valid-Until "false";\n'
    write_apt_dir(mirror, "bookworm", tmp_path)
    assert (tmp_path / "sources.list.d/debian.sources").read_text() == text
    assert (tmp_path / "apt.conf.d/99cprofiler-mirror").is_file()
    # The musl builder adds source packages by rewriting exactly this line.
    assert "Types: deb\n" in text


# --- hashes and the registry --------------------------------------------------------------------


class FakeRecipe(Recipe):
    name = "fake"
    stands_in_for = "nothing:*"
    requires: ClassVar[tuple[str, ...]] = ()

    def __init__(self, directory: Path) -> None:
        self._dir = directory

    @property
    def directory(self) -> Path:
        return self._dir

    def files(self) -> list[Path]:
        return sorted(p for p in self._dir.rglob("*") if p.is_file())

    def make(self, job: BuildJob) -> None:
        raise AssertionError("never built in unit tests")


@pytest.fixture
def fake(tmp_path: Path) -> FakeRecipe:
    d = tmp_path / "fake"
    d.mkdir()
    (d / "Dockerfile").write_text("FROM scratch\n")
    return FakeRecipe(d)


MIRROR = Mirror(ARCHIVE, SECURITY, "test")


def test_hash_is_stable_and_covers_every_input(fake: FakeRecipe) -> None:
    first = recipe_inputs_hash(fake, MIRROR, {})
    assert first == recipe_inputs_hash(fake, MIRROR, {})
    assert len(first) == 64
    assert recipe_inputs_hash(fake, Mirror("http://other.test/debian", SECURITY, "test"), {}) != first
    assert recipe_inputs_hash(fake, Mirror(ARCHIVE, SECURITY, "elsewhere"), {}) == first  # where it was found is no input
    assert recipe_inputs_hash(fake, Mirror(ARCHIVE, SECURITY, "test", (("Acquire::Check-Date", "false"),)), {}) != first
    assert recipe_inputs_hash(fake, MIRROR, {"debian-python": "cprofiler-base/debian-python:0123"}) != first
    (fake.directory / "Dockerfile").write_text('FROM scratch\nCMD ["x"]\n')
    assert recipe_inputs_hash(fake, MIRROR, {}) != first


def test_hash_covers_file_names_not_only_contents(fake: FakeRecipe) -> None:
    first = recipe_inputs_hash(fake, MIRROR, {})
    (fake.directory / "Dockerfile").rename(fake.directory / "Containerfile")
    assert recipe_inputs_hash(fake, MIRROR, {}) != first


def test_the_shipped_recipes() -> None:
    assert catalog.names() == ["debian-python", "go-builder", "musl-python"]
    assert RECIPES["musl-python"].stands_in_for == "python:*-alpine"
    assert RECIPES["go-builder"].stands_in_for == "golang:*"
    for name in catalog.names():
        recipe = RECIPES[name]
        assert recipe.directory.is_dir(), name
        assert registry.PROBE in recipe.files()
    assert (RECIPES["musl-python"].directory / "Dockerfile").is_file()
    assert (RECIPES["debian-python"].directory / "rootfs.sh").is_file()


def test_hashed_names_are_the_paths_the_stand_ins_were_built_with() -> None:
    # The recipe folders became packages (musl_python/); the names in the hash stayed, and with
    # them every stand-in tag. The recipe's own modules are its code, not its image's files.
    musl = RECIPES["musl-python"]
    names = [inputs._hashed_name(musl, path) for path in musl.files()]
    assert names == ["musl-python/Dockerfile", "musl-python/build-python.sh", "probe.py"]


def test_the_registry_imports_no_recipe() -> None:
    import subprocess
    import sys

    code = "from cprofiler.images.bases.registry import RECIPES; assert len(RECIPES) == 0, RECIPES.names()"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_tags_chain_through_parents() -> None:
    tags = stand_in_tags(MIRROR)
    tag, digest = tags["musl-python"]
    assert tag == f"cprofiler-base/musl-python:{digest[:16]}"
    other = stand_in_tags(Mirror("http://other.test/debian", None, "test"))
    # A different mirror changes debian-python, and through its tag everything built FROM it.
    assert other["debian-python"][0] != tags["debian-python"][0]
    assert other["musl-python"][0] != tag
    assert stand_in_tags(MIRROR) == tags


def test_build_order_puts_parents_first() -> None:
    assert build._build_order(["musl-python", "go-builder"]) == ["debian-python", "musl-python", "go-builder"]
    assert build._build_order(["debian-python"]) == ["debian-python"]


def test_unknown_recipe_names_the_known_ones() -> None:
    with pytest.raises(UsageError, match="debian-python, go-builder, musl-python"):
        catalog.get_recipe("alpine")


def test_probe_output_parsing() -> None:
    out = 'warning: something\n{"python": "3.11.2", "missing": ["ssl"]}\n'
    assert probing.parse_probe(out)["missing"] == ["ssl"]
    with pytest.raises(ValueError):
        probing.parse_probe("no json here\n")


def test_probe_script_runs_on_this_python() -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(registry.PROBE)], capture_output=True, text=True, check=True).stdout
    found = probing.parse_probe(out)
    assert found["python"]
    assert "socket" not in found["missing"]


def test_free_space_check(tmp_path: Path) -> None:
    check_free_space(tmp_path / "not" / "yet", 1, "the temporary directory")  # walks up to an existing parent
    with pytest.raises(RequirementError, match="GiB free"):
        check_free_space(tmp_path, 1 << 60, "the temporary directory")


def test_requirements_are_one_clear_error_each(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RequirementError, match="apt-get install no-such-package"):
        checks.check_tool("no-such-tool-here", "no-such-package", "debian-python")
    monkeypatch.setattr(checks.os, "geteuid", lambda: 1000)
    with pytest.raises(RequirementError, match="needs root"):
        checks.check_root("debian-python")
    with pytest.raises(RequirementError, match="needs root"):
        RECIPES["debian-python"].check()


def test_sbin_tools_are_found_without_sbin_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    found = checks.which_sbin("debootstrap")
    if Path("/usr/sbin/debootstrap").exists():
        assert found == "/usr/sbin/debootstrap"


def test_waves_build_siblings_side_by_side() -> None:
    assert build._waves(["debian-python", "go-builder", "musl-python"]) == [["debian-python"], ["go-builder", "musl-python"]]
    assert build._waves(["musl-python"]) == [["musl-python"]]  # its parent is built already
    assert build._waves([]) == []


def test_a_second_builder_of_the_same_stand_in_waits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.setattr(build.tempfile, "gettempdir", lambda: str(tmp_path))
    waited = threading.Event()
    order: list[str] = []
    with build._build_lock("x", lambda: order.append("first waited")):
        second = threading.Thread(target=lambda: build._build_lock("x", waited.set).__enter__())
        second.start()
        assert waited.wait(10)
        order.append("first done")
    second.join(10)
    assert order == ["first done"]


def test_stage_leaves_of_a_multi_stage_build_log() -> None:
    log = [
        "Step 1/5 : ARG BASE",
        "Step 2/5 : FROM ${BASE} AS builder",
        " ---> 0123456789ab",
        "Step 3/5 : RUN make",
        " ---> Running in 999999999999",
        "Removing intermediate container 999999999999",
        " ---> c3392c662a24",
        "Step 4/5 : FROM scratch",
        " ---> ",
        "Step 5/5 : COPY --from=builder /out/ /",
        " ---> b7ecd2c5c6ac",
    ]
    assert dockerfile.stage_leaves(log) == ["c3392c662a24"]
    assert dockerfile.stage_leaves(log[:4]) == []  # one stage: nothing left over


def test_details_read_from_the_probes() -> None:
    go = RECIPES["go-builder"]
    assert isinstance(go, dockerfile.DockerfileRecipe)
    assert go.detail_from("12.11\ngo version go1.19.8 linux/amd64\n")[0] == "Debian 12.11, Go 1.19.8"
    with pytest.raises(ValueError):
        go.detail_from("sh: go: not found\n")
    musl = RECIPES["musl-python"]
    assert isinstance(musl, dockerfile.DockerfileRecipe)
    probe = '{"python": "3.11.2", "libc": "musl", "libc_version": "1.2.3", "busybox": "1.35.0", "missing": ["ssl"]}'
    assert musl.detail_from(probe)[0] == "musl 1.2.3, busybox 1.35.0, CPython 3.11.2"
    with pytest.raises(ValueError, match="not linked against musl"):
        musl.detail_from(probe.replace('"musl"', '"glibc"'))


def test_a_probe_missing_a_required_module_fails_the_build() -> None:
    recipe = RECIPES["musl-python"]
    labels = probing.probe_labels(recipe, {"missing": ["ssl", "sqlite3"]}, "detail")
    assert labels == {LABEL_DETAIL: "detail", LABEL_MISSING: "ssl,sqlite3"}
    with pytest.raises(BuildError, match="cannot import socket"):
        probing.probe_labels(recipe, {"missing": ["socket"]}, "detail")


def test_a_symbolic_link_planted_at_the_build_lock_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The lock lives in the machine's shared temporary folder: a link there must not make
    # cprofiler create or append to a file elsewhere.
    monkeypatch.setattr(build.tempfile, "gettempdir", lambda: str(tmp_path))
    victim = tmp_path / "victim"
    (tmp_path / "cprofiler-base-x.lock").symlink_to(victim)
    with pytest.raises(BuildError, match=r"stand-in x: cannot open its build lock .*cprofiler-base-x\.lock"):
        with build._build_lock("x", lambda: None):
            pass
    assert not victim.exists()
