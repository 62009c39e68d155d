"""Run by a stand-in's own python3: print one JSON line with its versions and missing modules.

cprofiler passes this file's text to ``python3 -c`` (in a chroot or a container of the image), so
it uses the standard library only and must run on any CPython 3.
"""

import importlib
import json
import os
import platform
import re
import subprocess
import warnings

# Modules a user of an official python image may expect; the ones missing here are recorded.
EXPECTED = (
    "socket select asyncio json http.server resource ssl _hashlib sqlite3 ctypes zlib bz2 lzma readline"
    " curses dbm.gnu _uuid decimal pyexpat crypt ensurepip tkinter"
).split()


def first_line(cmd: list[str]) -> str:
    """Everything ``cmd`` prints (stdout then stderr), or "" when it cannot run."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603 - fixed paths
    except OSError:
        return ""
    return ((out.stdout or "") + (out.stderr or "")).strip()


def main() -> None:
    warnings.simplefilter("ignore")  # crypt and others warn of their deprecation on import
    missing: list[str] = []
    for name in EXPECTED:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - any failure to import means "missing"
            missing.append(name)
    libc, libc_version = platform.libc_ver()
    loader = "/lib/ld-musl-x86_64.so.1"
    if libc != "glibc" and os.path.exists(loader):  # on musl, libc_ver() says ("libc", "")
        m = re.search(r"Version\s+(\S+)", first_line([loader]))
        libc, libc_version = "musl", m.group(1) if m else "?"
    busybox: str | None = None
    if os.path.exists("/bin/busybox"):
        m = re.search(r"BusyBox v(\S+)", first_line(["/bin/busybox"]))
        busybox = m.group(1) if m else "?"
    debian: str | None = None
    if os.path.exists("/etc/debian_version"):
        with open("/etc/debian_version") as f:
            debian = f.read().strip()
    print(
        json.dumps(
            {
                "python": platform.python_version(),
                "libc": libc,
                "libc_version": libc_version,
                "busybox": busybox,
                "debian": debian,
                "missing": missing,
            }
        )
    )


main()
