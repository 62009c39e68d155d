"""Where results go on disk: checked before anything is measured, and written without harm.

cprofiler writes two kinds of file: outputs (``--output``, ``report --html``, ``plot -o``, the
manifests of ``k8s --output-dir``: each replaced at the end, atomically) and the run log beside
a results file (appended to run by run). Both paths come from the user, so neither may be turned
into something else: a device node at ``--output`` must never become a regular file, a symlink
planted at a temporary name or at the run log must never be followed, and a directory or a
read-only place must be found out before minutes of measuring, not after.

- :func:`check_output` says, before the engine is contacted, whether ``--output`` can be written.
- :func:`write_replacing` replaces a regular file (or creates one) through a temporary file of
  a fresh random name, made with ``O_EXCL | O_NOFOLLOW`` in the same folder, then a rename;
  :class:`OutputDir` does the same for each file in an ``--output-dir``, refusing a symlinked one.
  Every file cprofiler writes for the user (results, tables, the HTML report, charts, manifests)
  goes through one of them.
- :func:`open_log` opens a run log for appending without following a symlink, refuses anything
  but a regular file, and holds an exclusive ``flock`` on it: a second writer is refused.
- :func:`read_bounded` is the one reader of files from the user's disk (results, run logs, the
  Docker CLI's configuration): a regular file of a bounded size, or one UsageError.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import stat
import tempfile
from pathlib import Path

from cprofiler.errors import UsageError

_KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFDIR: "a directory",
}


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def kind_of(mode: int) -> str | None:
    """What a file of ``mode`` is, in words, when it is not a regular file; None for one."""
    return None if stat.S_ISREG(mode) else _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def _existing(path: Path, flag: str) -> os.stat_result | None:
    """``lstat`` of ``path`` (None when absent); UsageError when it is anything but a regular file."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot be used ({_reason(exc)})") from exc
    return _regular(st, path, flag)


def _regular(st: os.stat_result, path: Path, flag: str) -> os.stat_result:
    """``st`` when it is a regular file's; else UsageError saying what ``path`` is instead."""
    kind = kind_of(st.st_mode)
    if kind == "a directory":
        raise UsageError(f"{flag} {path}: is a directory; expected a file name such as {path / 'results.json'}")
    if kind is not None:
        raise UsageError(f"{flag} {path}: is {kind}; cprofiler replaces only regular files, so name another path")
    return st


def _folder(path: Path, flag: str) -> Path:
    """The folder ``path`` goes in, created if missing; UsageError when that cannot be done."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot create its folder {folder} ({_reason(exc)})") from exc
    return folder


def _nearest_folder(path: Path, flag: str) -> Path:
    """The folder ``path`` would go in, or its nearest existing ancestor when that is still to be made."""
    folder = path.parent
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(f"{flag} {path}: {folder} is not a directory")
    return folder


def check_output(path: Path, flag: str = "--output") -> None:
    """Raise UsageError (one line naming ``flag``) unless ``path`` can be replaced by a results file.

    It must be absent or a regular file that may be written, in a folder where a new file can be
    made (not /proc, not read-only, not immutable). Nothing is changed and no folder is made: a
    file of a fresh name is created and removed in the nearest existing folder, as the probe.
    """
    st = _existing(path, flag)
    folder = _nearest_folder(path, flag)
    if st is not None:
        try:
            # Opening for appending changes nothing, and fails on an immutable or read-only file.
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC))
        except OSError as exc:
            raise UsageError(f"{flag} {path}: cannot be written ({_reason(exc)})") from exc
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".check")
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot write in {folder} ({_reason(exc)})") from exc
    os.close(fd)
    os.unlink(probe)


def write_replacing(path: Path, data: str | bytes, flag: str = "--output") -> None:
    """Write ``data`` (text as UTF-8) to ``path`` atomically: a reader sees the old file or the new
    one, never half. Every file cprofiler writes goes through here or :class:`OutputDir`.

    The temporary file has a fresh random name (``O_EXCL | O_NOFOLLOW``), so nothing planted in
    the folder is followed; ``path`` is replaced only while it is a regular file or absent (a
    symlink, a named pipe, a device or a directory there is refused, and never opened), and the
    new file keeps an existing file's permissions. UsageError naming ``flag`` on any failure.
    """
    _existing(path, flag)
    folder = _folder(path, flag)
    try:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot write in {folder} ({_reason(exc)})") from exc
    try:
        _replace_at(dir_fd, path.name, data, path, flag)
    finally:
        os.close(dir_fd)


class OutputDir:
    """A folder given by the user (``--output-dir``) that cprofiler writes files into.

    The folder is created when missing; a symlink there is refused like one at ``-o`` (it would
    send the files wherever it points, ``/etc`` as well), and so is anything but a directory. It is
    held open and every file is made relative to it, so swapping the folder for a symlink after
    the check changes nothing. Use as a context manager; UsageError naming ``flag`` on any failure.
    """

    def __init__(self, folder: Path, flag: str = "--output-dir") -> None:
        self.folder, self.flag = folder, flag
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            pass  # a symlink or a file of that name: said below, in the words for it
        except OSError as exc:
            raise UsageError(f"{flag} {folder}: cannot be created ({_reason(exc)})") from exc
        try:
            self.fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise UsageError(f"{flag} {folder}: {self._refusal(exc)}") from exc

    def _refusal(self, exc: OSError) -> str:
        try:
            mode = os.lstat(self.folder).st_mode
        except OSError:
            mode = stat.S_IFDIR
        if stat.S_ISLNK(mode):
            return "is a symbolic link; expected a directory (name the folder it points to, if that is meant)"
        if not stat.S_ISDIR(mode):
            return f"is {kind_of(mode) or 'a regular file'}; expected a directory"
        return f"cannot be used ({_reason(exc)}); expected a directory cprofiler may write in"

    def write(self, name: str, data: str | bytes) -> Path:
        """Write the file ``name`` (no folder part) in this folder as :func:`write_replacing` does."""
        path = self.folder / name
        if not name or "/" in name or name in (".", ".."):
            raise UsageError(f"{self.flag} {self.folder}: {name!r} is not a file name")
        _replace_at(self.fd, name, data, path, self.flag)
        return path

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> OutputDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _existing_at(dir_fd: int, name: str, shown: Path, flag: str) -> os.stat_result | None:
    """As :func:`_existing`, for ``name`` in the folder open as ``dir_fd``."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"{flag} {shown}: cannot be used ({_reason(exc)})") from exc
    return _regular(st, shown, flag)


def _temporary_at(dir_fd: int, name: str, shown: Path, flag: str) -> tuple[int, str]:
    """A new file of a fresh random name beside ``name``, made so that nothing is followed."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        tmp = f".{name[:200]}.{secrets.token_hex(8)}.tmp"
        try:
            return os.open(tmp, flags, 0o600, dir_fd=dir_fd), tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise UsageError(f"{flag} {shown}: cannot write in {shown.parent} ({_reason(exc)})") from exc
    raise UsageError(f"{flag} {shown}: cannot write in {shown.parent} (no free temporary name)")


def _replace_at(dir_fd: int, name: str, data: str | bytes, shown: Path, flag: str) -> None:
    """Replace ``name`` in the folder open as ``dir_fd`` with ``data``, through a temporary file."""
    st = _existing_at(dir_fd, name, shown, flag)
    fd, tmp = _temporary_at(dir_fd, name, shown, flag)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
            if st is not None:
                os.fchmod(fh.fileno(), stat.S_IMODE(st.st_mode))
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(fh.fileno(), 0o666 & ~umask)
        _existing_at(dir_fd, name, shown, flag)  # still nothing but a regular file there
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except OSError as exc:
        raise UsageError(f"{flag} {shown}: cannot be written ({_reason(exc)})") from exc
    finally:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except FileNotFoundError:
            pass


class LogBusy(UsageError):
    """Another process holds the run log's lock: it is writing that measurement now."""


def open_log(path: Path, *, create: bool) -> int:
    """A descriptor of the run log at ``path`` for appending, locked exclusively; UsageError if not.

    ``create``: make the file when absent (a new measurement) rather than require it (``--resume``).
    Never follows a symlink at ``path``; refuses anything but a regular file; refuses, with
    :class:`LogBusy`, a file another cprofiler holds locked (it is still writing to it). The lock
    lasts until the descriptor is closed, also when the process is killed.
    """
    flags = os.O_RDWR | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_CREAT if create else 0)
    if create:
        _folder(path, "run log")
    try:
        fd = os.open(path, flags, 0o666)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; expected the .jsonl of a cprofiler measurement") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UsageError(f"{path}: is a symbolic link; the run log is never written through one") from None
        what = "is a directory" if exc.errno == errno.EISDIR else f"cannot be written ({_reason(exc)})"
        raise UsageError(f"{path}: {what}; expected a run log (.jsonl) cprofiler may append to") from exc
    try:
        kind = kind_of(os.fstat(fd).st_mode)
        if kind is not None:
            raise UsageError(f"{path}: is {kind}; a run log must be a regular file")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise LogBusy(
                    f"{path}: another cprofiler process is writing this run log now; wait until it ends, "
                    "or give this measurement another --output"
                ) from None
            raise UsageError(f"{path}: cannot be locked ({_reason(exc)})") from exc
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bounded(path: Path, *, where: str, limit: int, expected: str, sized: str | None = None, fd: int | None = None) -> bytes:
    """The bytes of a file cprofiler reads from the user's disk: a regular file of at most ``limit`` bytes.

    Every such read goes through here (results files, run logs, the Docker CLI's configuration),
    so that ``/dev/zero``, a FIFO or a file that grows while being read is refused, never read
    until memory runs out. Read from ``fd`` (its start) when given: a descriptor the caller holds
    (``--resume`` holds its run log locked). UsageError naming ``where`` for a missing,
    unreadable, non-regular or too large file, saying what was ``expected`` (``sized``: how a
    file over ``limit`` is named, ``expected`` when None); a pipe never blocks.
    """
    sized = sized or expected
    own = fd is None
    if own:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            raise UsageError(f"{where}: cannot be read (no such file); expected {expected}") from None
        except OSError as exc:
            raise UsageError(f"{where}: cannot be read ({_reason(exc)})") from exc
    assert fd is not None
    try:
        st = os.fstat(fd)
        kind = kind_of(st.st_mode)
        if kind is not None:
            raise UsageError(f"{where}: is {kind}; expected {expected}")
        if st.st_size > limit:
            raise UsageError(f"{where}: is {st.st_size} bytes; expected {sized} of at most {limit} bytes")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.pread(fd, 1 << 20, size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while being read
            raise UsageError(f"{where}: is over {limit} bytes; expected {sized} of at most that")
        return b"".join(chunks)
    except OSError as exc:
        raise UsageError(f"{where}: cannot be read ({_reason(exc)})") from exc
    finally:
        if own:
            os.close(fd)
