"""The Debian mirror the stand-in bases are built from, as this machine's apt configuration names it.

cprofiler names no package host of its own: the mirror is ``--mirror``, else ``$CPROFILER_MIRROR``,
else the first Debian archive in ``/etc/apt/sources.list`` and ``/etc/apt/sources.list.d/``
(one-line ``.list`` files and deb822 ``.sources`` files alike). The same mirror goes into the
images' own apt configuration, so ``apt-get`` in a build FROM a stand-in reaches it too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from cprofiler.images.bases.checks import RequirementError

#: Environment variable naming the mirror (the archive's URL, e.g. ``http://HOST/debian``).
ENV_MIRROR = "CPROFILER_MIRROR"
#: Where apt keeps its configuration.
APT_DIR = Path("/etc/apt")
#: The keyring debootstrap installs in every Debian root filesystem; the images' sources use it.
DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
#: apt options copied from the host into the images, when the host sets them. A snapshot mirror
#: serves Release files whose Valid-Until has passed; the host's apt is then told not to check,
#: and apt in the images must be told the same.
COPIED_APT_OPTIONS = ("Acquire::Check-Valid-Until", "Acquire::Check-Date")


@dataclass(frozen=True)
class AptEntry:
    """One source of apt's configuration: one URI with its suites (a deb822 stanza may hold several)."""

    types: tuple[str, ...]
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]
    signed_by: str | None
    #: File the entry was read from, for messages.
    origin: str


@dataclass(frozen=True)
class Mirror:
    """A Debian archive and, when the host has one, its security archive."""

    #: URL of the archive (``…/debian``); debootstrap and the images' apt use it.
    archive: str
    #: URL of the security archive (``…/debian-security``), or None.
    security: str | None
    #: Where the mirror was found: ``--mirror``, ``$CPROFILER_MIRROR`` or an apt file.
    origin: str
    #: apt options for the images, as ``(name, value)`` pairs (see ``COPIED_APT_OPTIONS``).
    apt_options: tuple[tuple[str, str], ...] = ()

    def fingerprint(self) -> str:
        """Everything about the mirror that changes what an image built from it contains."""
        options = ";".join(f"{k}={v}" for k, v in self.apt_options)
        return f"archive={self.archive}\nsecurity={self.security or ''}\noptions={options}\n"


# --- parsing ------------------------------------------------------------------------------------


def parse_one_line(text: str, origin: str = "sources.list") -> list[AptEntry]:
    """Entries of a one-line-style file: ``deb [opt=val ...] URI SUITE [COMPONENT...]``."""
    entries = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        options: dict[str, str] = {}
        m = re.match(r"^(deb|deb-src)\s+\[([^\]]*)\]\s+(.*)$", line)
        if m:
            kind, opts, rest = m.groups()
            for opt in opts.split():
                key, _, value = opt.partition("=")
                options[key.lower()] = value
        else:
            kind, _, rest = line.partition(" ")
            if kind not in ("deb", "deb-src"):
                continue
        words = rest.split()
        if len(words) < 2:
            continue
        entries.append(
            AptEntry(
                types=(kind,),
                uri=words[0],
                suites=(words[1],),
                components=tuple(words[2:]),
                signed_by=options.get("signed-by"),
                origin=origin,
            )
        )
    return entries


def parse_deb822(text: str, origin: str = "debian.sources") -> list[AptEntry]:
    """Entries of a deb822 ``.sources`` file; stanzas with ``Enabled: no`` are left out."""
    entries = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for raw in stanza.splitlines():
            if raw.startswith("#") or not raw.strip():
                continue
            if raw[0] in " \t" and key is not None:  # a continuation line (e.g. an inline key)
                fields[key] += "\n" + raw.strip()
                continue
            key, _, value = raw.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if not fields or fields.get("enabled", "yes").lower() == "no":
            continue
        types = tuple(fields.get("types", "").split())
        signed_by = fields.get("signed-by") or None
        for uri in fields.get("uris", "").split():
            entries.append(
                AptEntry(
                    types=types,
                    uri=uri,
                    suites=tuple(fields.get("suites", "").split()),
                    components=tuple(fields.get("components", "").split()),
                    signed_by=signed_by,
                    origin=origin,
                )
            )
    return entries


def host_entries(apt_dir: Path = APT_DIR) -> list[AptEntry]:
    """Every enabled entry of the apt configuration under ``apt_dir``, in apt's reading order."""
    entries: list[AptEntry] = []
    main = apt_dir / "sources.list"
    if main.is_file():
        entries += parse_one_line(main.read_text(errors="replace"), str(main))
    parts = apt_dir / "sources.list.d"
    if parts.is_dir():
        for path in sorted(parts.iterdir()):
            if path.suffix == ".list":
                entries += parse_one_line(path.read_text(errors="replace"), str(path))
            elif path.suffix == ".sources":
                entries += parse_deb822(path.read_text(errors="replace"), str(path))
    return entries


def parse_apt_config_dump(text: str, wanted: tuple[str, ...] = COPIED_APT_OPTIONS) -> tuple[tuple[str, str], ...]:
    """The ``wanted`` options (case-insensitively) from ``apt-config dump`` output, in ``wanted`` order."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        m = re.match(r'^(\S+)\s+"(.*)";$', line.strip())
        if m:
            found[m.group(1).lower()] = m.group(2)
    return tuple((name, found[name.lower()]) for name in wanted if name.lower() in found)


def host_apt_options() -> tuple[tuple[str, str], ...]:
    """The host's values of ``COPIED_APT_OPTIONS`` (none when apt-config is not installed)."""
    apt_config = shutil.which("apt-config")
    if apt_config is None:
        return ()
    try:
        out = subprocess.run([apt_config, "dump"], capture_output=True, text=True, timeout=20, check=False)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return ()
    return parse_apt_config_dump(out.stdout)


# --- choosing -----------------------------------------------------------------------------------


def _last_path_segment(uri: str) -> str:
    return urlparse(uri).path.rstrip("/").rsplit("/", 1)[-1]


def _is_debian(entry: AptEntry) -> bool:
    """True for Debian's own archives, not third-party repositories that also serve ``main``."""
    if urlparse(entry.uri).scheme not in ("http", "https"):
        return False  # file:, cdrom: and mirror+file: mean nothing inside a container
    if entry.signed_by and "debian-archive-keyring" in entry.signed_by:
        return True
    return _last_path_segment(entry.uri) in ("debian", "debian-security")


def _is_security(entry: AptEntry) -> bool:
    return _last_path_segment(entry.uri) == "debian-security" or any(s.endswith("-security") for s in entry.suites)


def choose_mirror(entries: list[AptEntry], apt_options: tuple[tuple[str, str], ...] = ()) -> Mirror | None:
    """The first Debian archive among ``entries`` (with the first security archive), or None."""
    debian = [e for e in entries if "deb" in e.types and _is_debian(e)]
    archive = next((e for e in debian if not _is_security(e)), None)
    if archive is None:
        return None
    security = next((e for e in debian if _is_security(e)), None)
    return Mirror(
        archive=archive.uri.rstrip("/"),
        security=security.uri.rstrip("/") if security else None,
        origin=archive.origin,
        apt_options=apt_options,
    )


def find_mirror(
    explicit: str | None = None,
    *,
    apt_dir: Path = APT_DIR,
    environ: Mapping[str, str] | None = None,
    apt_options: tuple[tuple[str, str], ...] | None = None,
) -> Mirror:
    """Return the mirror by precedence ``--mirror`` > ``$CPROFILER_MIRROR`` > the apt configuration.

    A mirror named explicitly has no security archive: only its URL is known. ``apt_options``
    default to the host's (``host_apt_options``).
    """
    env = os.environ if environ is None else environ
    options = host_apt_options() if apt_options is None else apt_options
    for value, origin in ((explicit, "--mirror"), (env.get(ENV_MIRROR), f"${ENV_MIRROR}")):
        if value:
            if urlparse(value).scheme not in ("http", "https"):
                raise RequirementError(f"{origin}: {value!r} is not an http(s) URL of a Debian archive (like http://HOST/debian)")
            return Mirror(archive=value.rstrip("/"), security=None, origin=origin, apt_options=options)
    mirror = choose_mirror(host_entries(apt_dir), options)
    if mirror is None:
        raise RequirementError(
            f"no Debian mirror in the apt configuration ({apt_dir}/sources.list, {apt_dir}/sources.list.d/); "
            f"name one with --mirror URL or ${ENV_MIRROR}"
        )
    return mirror


# --- writing ------------------------------------------------------------------------------------


def sources_text(mirror: Mirror, suite: str) -> str:
    """apt's deb822 sources for the images: the archive's ``suite`` and ``suite-updates``, and security."""
    stanzas = [
        f"Types: deb\nURIs: {mirror.archive}\nSuites: {suite} {suite}-updates\nComponents: main\nSigned-By: {DEBIAN_KEYRING}\n"
    ]
    if mirror.security:
        stanzas.append(
            f"Types: deb\nURIs: {mirror.security}\nSuites: {suite}-security\nComponents: main\nSigned-By: {DEBIAN_KEYRING}\n"
        )
    return "\n".join(stanzas)


def apt_conf_text(mirror: Mirror) -> str:
    """An ``apt.conf.d`` file with the host's copied options (empty when there are none)."""
    return "".join(f'{name} "{value}";\n' for name, value in mirror.apt_options)


def write_apt_dir(mirror: Mirror, suite: str, target: Path) -> None:
    """Lay out ``target`` like ``/etc/apt`` with the images' sources and options."""
    (target / "sources.list.d").mkdir(parents=True, exist_ok=True)
    (target / "sources.list.d" / "debian.sources").write_text(sources_text(mirror, suite))
    conf = apt_conf_text(mirror)
    if conf:
        (target / "apt.conf.d").mkdir(parents=True, exist_ok=True)
        (target / "apt.conf.d" / "99cprofiler-mirror").write_text(conf)
