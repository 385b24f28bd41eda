"""What a run folder remembers between invocations: the manifest and completion markers.

Layout (under ``save_dir/.synthset``):

    lock                         the run that owns the folder now: pid, host, start time
    manifest.json                the run's configuration, fingerprint, shard size, versions
    shards/<split>/<n>.<ext>     a shard's output files, until its split is merged
    completions/<split>/<n>      written last: the shard is done (its counters, its
                                 statistics partial, and the size, row count and blake2b
                                 hash of each of its files)
    merged/<split>               the split's final files are complete (their names, sizes and
                                 blake2b hashes)

A marker records the size, row count and blake2b hash of each file it vouches for, read back
once the files are complete (not fsynced: a file whose bytes a crash kept from the disk fails
these checks and is made again), and a shard's file names depend only on the shard, so a
rerun overwrites whatever a killed one left. A resume checks every finished shard's files against its marker — size and
rows before it makes anything, the hash of what the merge reads as the merge reads it — and
makes a damaged shard again. The manifest refuses a resume whose configuration differs (a key
newer than the manifest, at its declared default, is no difference: ``RunState.open``);
``read_manifest`` is the one reader of it, for the engine, the readers of ``io`` and
``synthset status`` alike. The lock (``RunLock``) gives the folder one owner at a time; it is
never a link, and while it is held no write of this process goes through a link inside the
folder (``core.fs.check_no_link``). ``resume: false`` removes what the previous run wrote
(``RunState.start_over``), and refuses a folder holding anything else.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from synthset.core.errors import ConfigError, ResumeError, SynthsetError
from synthset.core.fs import (
    OUTPUT_DIRS,
    STATE_DIR,
    RemotePath,
    RunFolderLinkError,
    as_path,
    atomic_write_text,
    check_no_link,
    hold_run_folder,
    is_real_dir,
    is_tmp_name,
    make_dirs,
    release_run_folder,
    remove_stale_tmp,
    rmtree,
)
from synthset.engine.plan import Shard, check_shard_count, check_split_names, fingerprint

MANIFEST = f"{STATE_DIR}/manifest.json"
LOCK_NAME = "lock"
LOCK = f"{STATE_DIR}/{LOCK_NAME}"
# What every reader of a manifest relies on; a manifest without one of them is refused whole.
MANIFEST_KEYS = ("fingerprint", "config", "shard_size")


class RunFolderError(SynthsetError):
    """A folder is not a readable synthset run folder: missing, without a manifest, or with a
    corrupt one. The message names the path and what to do."""


def read_manifest(save_dir, missing_ok: bool = False) -> dict | None:
    """The manifest of the run in ``save_dir`` (a local path or an fsspec URL).

    The one reader of ``manifest.json``: every key of MANIFEST_KEYS and ``config.sizes`` are
    there when it returns. Raises RunFolderError when the folder does not exist, holds no
    manifest (unless ``missing_ok``: then None, for folders CALT wrote), or holds a corrupt one.
    """
    folder = as_path(save_dir)
    path = folder / MANIFEST
    start_over = f"delete {folder / STATE_DIR} (or run with resume=false) to make the run again"
    try:
        text = path.read_text()
    except (FileNotFoundError, NotADirectoryError):
        if folder.exists() and not folder.is_dir():
            raise RunFolderError(f"{folder} is a file, not a run folder") from None
        if not folder.is_dir():
            raise RunFolderError(f"{folder} does not exist: give the save_dir of a run") \
                from None
        if missing_ok:
            return None
        raise RunFolderError(f"{folder} is not a synthset run folder (no {MANIFEST}): give "
                             "the save_dir of a run") from None
    try:
        manifest = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, and UnicodeDecodeError from read_text
        raise RunFolderError(f"{path} is corrupt ({exc}); {start_over}") from None
    missing = [k for k in MANIFEST_KEYS if not isinstance(manifest, dict) or k not in manifest]
    if not missing and not isinstance(manifest["config"].get("sizes"), dict):
        missing = ["config.sizes"]
    if missing:
        raise RunFolderError(f"{path} has no {', '.join(missing)}: it was not written by "
                             f"synthset or was edited; {start_over}")
    # What readers act on is checked against what synthset writes (split names become file
    # names; counts and the shard size size loops and plans).
    try:
        check_split_names(manifest["config"]["sizes"])
        check_shard_count(manifest["config"]["sizes"], manifest["shard_size"])
    except ConfigError as exc:
        raise RunFolderError(f"{path} holds values synthset does not write ({exc}); "
                             f"{start_over}") from None
    return manifest


class RunFolderBusy(SynthsetError):
    """Another live process owns the run folder (its lock names it)."""


def _describe_owner(owner: dict) -> str:
    return (f"pid {owner.get('pid', '?')} on host {owner.get('host', '?')}, started "
            f"{owner.get('started', '?')}")


def _pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError, OverflowError):
        return True  # someone else's process, or a lock we cannot read: assume it lives
    return True


class RunLock:
    """One owner at a time for a run folder: ``.synthset/lock``, holding the owner's pid, host,
    start time and what it is doing (``doing``: "generating it", "checking it"; what
    ``synthset status`` says of the owner).

    On a local file system the owner holds an exclusive ``flock`` on the file for as long as it
    runs, so the kernel releases it when the process dies however it dies: a lock file whose
    lock is free was left by a killed run, and is taken over with a message. On an fsspec
    file system (no flock) a lock of this host whose pid is gone is stale; one of another
    host cannot be checked, and the message says to delete it if that run is over.
    """

    def __init__(self, save_dir, doing: str = "using it"):
        self.save_dir = as_path(save_dir)
        self.path = self.save_dir / LOCK
        self.doing = doing
        self.fd: int | None = None
        self.held = False

    def _record(self) -> dict:
        return {"pid": os.getpid(), "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S %z"), "started_at": time.time(),
                "doing": self.doing}

    def _busy(self, owner: dict, hint: str = "") -> RunFolderBusy:
        return RunFolderBusy(f"{self.save_dir} is in use by another synthset run "
                             f"({_describe_owner(owner)}): wait for it to finish or use "
                             f"another save_dir{hint}")

    @staticmethod
    def _parse(blob: bytes) -> dict:
        try:
            owner = json.loads(blob)
        except ValueError:
            return {}
        return owner if isinstance(owner, dict) else {}

    @staticmethod
    def holders(fd: int) -> list[int]:
        """The other processes that hold the open file ``fd`` is — the lock's ``flock`` goes with
        every descriptor a fork copies — found through ``/proc`` (Linux; the processes this user
        may look at): each descriptor of theirs on the same file, with a ``flock`` on it when
        ``fdinfo`` says. Empty where that cannot be seen. (``/proc/locks`` names the process that
        took the lock, which is the dead driver.)"""
        try:
            mine = os.fstat(fd)
            pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        except OSError:
            return []
        found = []
        for pid in pids:
            if pid == os.getpid():
                continue
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for name in fds:
                try:
                    st = os.stat(f"/proc/{pid}/fd/{name}")
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) != (mine.st_dev, mine.st_ino):
                    continue
                try:
                    with open(f"/proc/{pid}/fdinfo/{name}") as f:
                        info = f.read()
                except OSError:
                    info = None
                if info is None or "FLOCK" in info:  # unreadable: the file is open, count it
                    found.append(pid)
                    break
        return found

    @staticmethod
    def _command(pid: int) -> str:
        """A process's command line, shortened (``?`` when it cannot be read)."""
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                text = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            return "?"
        return (text[:77] + "...") if len(text) > 80 else (text or "?")

    def _outlived(self, owner: dict, pids: list[int]) -> RunFolderBusy:
        """The run that took the lock is gone, but processes it started (its forked workers,
        or anything it started that inherited the lock) still hold it: name them."""
        if pids:
            who = ", ".join(f"{pid} ({self._command(pid)})" for pid in pids[:5])
            more = f" and {len(pids) - 5} more" if len(pids) > 5 else ""
            held = (f"process{'es' if len(pids) > 1 else ''} {who}{more}, which outlived the "
                    "run that took it")
            end = f"wait for {'them' if len(pids) > 1 else 'it'} to exit or end " \
                  f"{'them' if len(pids) > 1 else 'it'} (kill {' '.join(map(str, pids))})"
        else:
            held = "a process that outlived the run that took it (a worker of that run, or a " \
                   "process it started)"
            end = "wait for it to exit or end it"
        return RunFolderBusy(f"{self.save_dir} is still locked by {held} "
                             f"({_describe_owner(owner)}, no longer running): {end}, then run "
                             "the same command again")

    def _took_over(self, blob: bytes) -> None:
        if blob.strip():
            print(f"synthset: taking over the lock of {self.save_dir}: its owner "
                  f"({_describe_owner(self._parse(blob))}) is no longer running",
                  file=sys.stderr)

    def acquire(self) -> RunLock:
        """Own the folder; raises RunFolderBusy (naming the owner) when a live run owns it, and
        RunFolderLinkError when ``.synthset`` or the lock is a symbolic link."""
        check_no_link(self.path, root=self.save_dir, itself=True)
        make_dirs(self.path.parent)
        if isinstance(self.path, RemotePath):
            return self._acquire_remote()
        import fcntl

        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
                             | getattr(os, "O_CLOEXEC", 0), 0o644)
            except OSError as exc:  # a link made since the check
                if exc.errno == errno.ELOOP and os.path.islink(self.path):
                    raise RunFolderLinkError(self.path) from None
                raise
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = self._parse(os.pread(fd, 65536, 0))
                try:
                    if owner.get("host") == socket.gethostname() and \
                            not _pid_alive(owner.get("pid")):  # forked workers keep its flock
                        raise self._outlived(owner, self.holders(fd)) from None
                finally:
                    os.close(fd)
                raise self._busy(owner) from None
            # The previous owner unlinks the file when it is done: make sure the file locked
            # is still the one the folder names, else try again on the new one.
            try:
                current = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                current = False
            if current:
                break
            os.close(fd)
        self._took_over(os.pread(fd, 65536, 0))
        record = json.dumps(self._record()).encode() + b"\n"
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, record, 0)
        except OSError as exc:  # a full disk: name the file, as every other write does
            with contextlib.suppress(OSError):
                self.path.unlink()  # still ours (flock held): no empty lock left behind
            os.close(fd)
            raise OSError(exc.errno, exc.strerror or str(exc), str(self.path)) from None
        self.fd, self.held = fd, True
        hold_run_folder(self.save_dir)
        return self

    def _acquire_remote(self) -> RunLock:
        if self.path.exists():
            blob = self.path.read_bytes()
            owner = self._parse(blob)
            if owner.get("host") != socket.gethostname() or _pid_alive(owner.get("pid")):
                raise self._busy(owner, f" (if that run is over, delete {self.path})")
            self._took_over(blob)
        atomic_write_text(self.path, json.dumps(self._record()) + "\n")
        self.held = True
        hold_run_folder(self.save_dir)
        return self

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        release_run_folder(self.save_dir)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # before the flock goes: no one finds an owned, unlocked file
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def owner(self) -> dict | None:
        """The record of the live run that owns the folder, or None."""
        try:
            blob = self.path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if isinstance(self.path, RemotePath):
            owner = self._parse(blob)
            return owner if owner.get("host") != socket.gethostname() or \
                _pid_alive(owner.get("pid")) else None
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return self._parse(blob)
        finally:
            os.close(fd)
        return None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def file_digest(path) -> tuple[int, str]:
    """Size and blake2b hash (128 bits) of a file, read in 1 MiB blocks."""
    h = hashlib.blake2b(digest_size=16)
    size = 0
    with as_path(path).open("rb") as f:
        while block := f.read(1 << 20):
            size += len(block)
            h.update(block)
    return size, h.hexdigest()


# What stopped a finished shard of this process from being marked (None: nothing), until
# ``flush_markers`` reports it. Shard files are not fsynced: they live until their split is
# merged, and a marker vouches for them by size, rows and hash, which every later reader checks.
# (An fsync would also make their removal after the merge slow on disks mounted with online
# discard: ~3 ms a file here.)
_FAILED: dict[int, BaseException] = {}


def _write_marker(state: RunState, shard: Shard, summary: dict) -> None:
    """Write a shard's completion marker: ``summary`` with, for each of its files
    (``summary["files"]``: a name relative to the state folder -> its row count, or None for a
    file without rows), the size, row count and blake2b hash, read back."""
    records = {}
    for name, rows in summary["files"].items():
        size, digest = file_digest(state.root / name)
        records[name] = {"size": size, "rows": rows, "blake2b": digest}
    path = state.completion_file(shard)
    make_dirs(path.parent)
    atomic_write_text(path, json.dumps({**summary, "files": records}) + "\n")


def flush_markers() -> BaseException | None:
    """What stopped a shard this process finished from being marked since the last call (that
    shard is made again by a resume), if anything did. Markers are written as their shards
    finish (``RunState.mark_done``): none is still on its way."""
    return _FAILED.pop(os.getpid(), None)


class RunState:
    """The ``.synthset`` folder of one run folder."""

    def __init__(self, save_dir: str | Path):
        self.save_dir = as_path(save_dir)
        self.root = self.save_dir / STATE_DIR

    # -- paths ----------------------------------------------------------------------------
    def shard_file(self, shard: Shard, ext: str) -> Path:
        return self.root / "shards" / shard.split / f"{shard.number:05d}.{ext}"

    def stats_file(self, shard: Shard) -> Path:
        """A shard's statistics partial as older synthsets wrote it, in a file of its own (a
        marker of this one holds it: ``"stats"``)."""
        return self.root / "stats" / shard.split / f"{shard.number:05d}.json"

    def completion_file(self, shard: Shard) -> Path:
        return self.root / "completions" / shard.split / f"{shard.number:05d}"

    def merged_file(self, split: str) -> Path:
        return self.root / "merged" / split

    def name(self, path) -> str:
        """A path of the state folder as a marker names it (relative to the folder)."""
        return str(path)[len(str(self.root)) + 1:]

    # -- manifest -------------------------------------------------------------------------
    def open(self, config: dict, shard_size: int, resume: bool, versions: dict,
             extra: dict | None = None, defaults: dict | None = None) -> int:
        """Start or resume the run; returns the shard size to use.

        ``extra`` adds informational keys (e.g. the built-in task's name and config, which
        exports read back); they are not part of the fingerprint. A resume keeps the shard size
        it started with (batch size and n_jobs may change between
        invocations: they do not change a byte of the output). A different ``config`` is refused
        with the keys that differ, unless ``resume`` is false, which starts clean (the driver
        first removes the previous run's files: ``start_over``).

        ``defaults``: the declared default of config keys that may be newer than the manifest.
        A manifest without such a key was written before it existed, when every run had its
        default: it matches a ``config`` holding the default, and its fingerprint stays as it
        was written.
        """
        config = _as_read(config)
        if not resume:  # before reading: a corrupt manifest must not stop a fresh start
            self.reset()
        old = read_manifest(self.save_dir, missing_ok=True)
        if old is not None:
            recorded, defaults = old["config"], _as_read(defaults or {})
            # The config as the manifest's writer recorded it: without the keys it did not
            # know, when they hold their default (with another value, the run differs).
            same = {key: value for key, value in config.items()
                    if key in recorded or key not in defaults or value != defaults[key]}
            if old["fingerprint"] != fingerprint(same):
                # A key one side lacks is named with its default, if it has one.
                fill = {k: v for k, v in defaults.items() if k in recorded or k in config}
                raise ResumeError(_describe_change(
                    self.save_dir, {**fill, **recorded}, {**fill, **config},
                    _changed_files(old.get("code_files"), (extra or {}).get("code_files"))))
        # What a killed attempt left half-written, in the state folder and among the final
        # files (data/ included); a state folder holding a link is refused here, before any
        # worker writes in it.
        remove_stale_tmp(self.save_dir)
        if old is not None:
            return int(old["shard_size"])
        make_dirs(self.root)
        manifest = {
            "fingerprint": fingerprint(config),
            "config": config,
            "shard_size": shard_size,
            "versions": versions,
            "python": sys.version.split()[0],
            **(extra or {}),
        }
        atomic_write_text(self.save_dir / MANIFEST,
                          json.dumps(manifest, indent=2, default=str) + "\n")
        return shard_size

    def reset(self) -> None:
        """Forget the run, keeping the lock of the run that asked (a link in the state folder
        is removed, never followed)."""
        if not is_real_dir(self.root):
            return
        for path in self.root.iterdir():
            if path.name == LOCK_NAME:
                continue
            if is_real_dir(path):
                rmtree(path)
            else:
                path.unlink(missing_ok=True)

    # -- resume: false --------------------------------------------------------------------
    def previous_manifest(self) -> dict | None:
        """The manifest of the run the folder holds, or None (none, or unreadable)."""
        try:
            return read_manifest(self.save_dir, missing_ok=True)
        except RunFolderError:
            return None

    def merged_names(self) -> dict[str, list[str]]:
        """Each merged split's final files, as its merged marker names them (unchecked: they
        only ever match files found in the folder)."""
        found: dict[str, list[str]] = {}
        folder = self.root / "merged"
        if not is_real_dir(folder):
            return found
        for path in folder.iterdir():
            try:
                files = json.loads(path.read_text())["files"]
            except Exception:
                continue
            found[path.name] = [str(name) for name in files] if isinstance(files, (dict, list)) \
                else []
        return found

    def holds_a_run(self) -> bool:
        """Whether the state folder holds anything but the lock: a run was made here."""
        return is_real_dir(self.root) and any(p.name != LOCK_NAME for p in self.root.iterdir())

    def start_over(self, ours: set[str]) -> None:
        """``resume: false``: remove the previous run's files — ``ours``, names relative to
        the run folder (top level, ``data/`` and ``quality/``), and synthset's temporary
        names there — and its state (``reset``). A folder holding anything else is refused
        (RunFolderError naming it) before anything is removed: those files were not made by
        the run that is thrown away, and would be mixed with the new one. Nothing happens in a
        folder that holds no run."""
        if not self.holds_a_run():
            return
        folder = self.save_dir
        remove, emptied, foreign = [], [], []
        for path in folder.iterdir():
            name = path.name
            if name == STATE_DIR:
                continue
            if name in OUTPUT_DIRS and is_real_dir(path) and \
                    not (path / STATE_DIR).exists():
                emptied.append(path)
                for inner in path.iterdir():
                    rel = f"{name}/{inner.name}"
                    if (rel in ours or is_tmp_name(inner.name)) and not is_real_dir(inner):
                        remove.append(inner)
                    else:
                        foreign.append(rel)
            elif (name in ours or is_tmp_name(name)) and not is_real_dir(path):
                remove.append(path)
            else:
                foreign.append(name + ("/" if is_real_dir(path) else ""))
        if foreign:
            shown = ", ".join(sorted(foreign)[:3]) + \
                (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise RunFolderError(
                f"{folder} holds files its run did not write ({shown}): resume=false removes "
                "the previous run's files only from a folder holding nothing else; move them "
                "out, or use another save_dir")
        for path in remove:
            check_no_link(path)
            path.unlink(missing_ok=True)
        for path in emptied:
            with contextlib.suppress(OSError):
                if isinstance(path, RemotePath):
                    rmtree(path)
                else:
                    path.rmdir()
        self.reset()

    # -- shards ---------------------------------------------------------------------------
    def is_done(self, shard: Shard) -> bool:
        return self.completion_file(shard).exists()

    def mark_done(self, shard: Shard, summary: dict) -> dict:
        """Mark the shard done (``_write_marker``) before its summary goes back: the driver
        merges a split from its markers (they hold the statistics partials). Returns
        ``summary``. A marker that cannot be written leaves the shard unmarked (made again by
        a resume), reported by ``flush_markers``; a process that dies first, the same."""
        try:
            _write_marker(self, shard, summary)
        except Exception as exc:
            _FAILED[os.getpid()] = exc
        return summary

    def summary(self, shard: Shard) -> dict:
        return json.loads(self.completion_file(shard).read_text())

    def check_shard(self, shard: Shard, count_rows: Callable | None = None,
                    verify: bool | Callable[[str], bool] = False
                    ) -> tuple[dict | None, str | None]:
        """``(summary, None)`` for a finished shard whose files match its marker (size, and
        row count through ``count_rows(path)`` when given; the hash too with ``verify``:
        ``True`` for every file, or a function of a file's name in the marker saying which —
        the others' hashes are left to whoever reads them next, the merge);
        ``(None, what is wrong)`` for a damaged one; ``(None, None)`` for one not finished."""
        try:
            text = self.completion_file(shard).read_bytes()
        except FileNotFoundError:
            return None, None
        try:
            summary = json.loads(text)
            files = summary["files"]
            checks = [(name, rec["size"], rec["rows"], rec["blake2b"])
                      for name, rec in files.items()]
        except Exception:  # garbage, or a marker of an older synthset: not trusted
            return None, f"its completion marker {self.completion_file(shard)} is unreadable"
        for name, size, rows, digest in checks:
            path = self.root / name
            try:
                if verify is True or (verify and verify(name)):
                    found, found_digest = file_digest(path)
                else:
                    found, found_digest = _size(path), digest
                if found != size:
                    return None, f"{path} has {found} bytes, its marker says {size}"
                if rows is not None and count_rows is not None:
                    found = count_rows(path)
                    if found != rows:
                        return None, f"{path} has {found} rows, its marker says {rows}"
            except FileNotFoundError:
                return None, f"{path} is missing"
            except Exception as exc:
                return None, f"{path} is unreadable ({type(exc).__name__}: " \
                             f"{' '.join(str(exc).split())})"
            if found_digest != digest:
                return None, f"{path} does not hash to what its marker says (blake2b)"
        return summary, None

    def marker(self, shard: Shard) -> dict:
        """A shard's completion marker; empty when it has none or it is unreadable."""
        try:
            marker = json.loads(self.completion_file(shard).read_bytes())
        except Exception:
            return {}
        return marker if isinstance(marker, dict) else {}

    def unmark(self, shard: Shard) -> None:
        """Forget that a shard was finished (it is made again)."""
        self.completion_file(shard).unlink(missing_ok=True)

    def unmark_split(self, split: str) -> None:
        """Forget a split's shards (its final files were removed after it was merged)."""
        for sub in ("completions", "stats", "shards"):
            rmtree(self.root / sub / split)
        self.merged_file(split).unlink(missing_ok=True)

    def is_merged(self, split: str) -> bool:
        return self.merged_file(split).exists()

    def merged_damage(self, split: str, verify: bool = False) -> str | None:
        """What is wrong with a merged split's final files (missing, or another size than
        when they were written; with ``verify``, another blake2b hash, when the marker
        records one), or None."""
        try:
            marker = json.loads(self.merged_file(split).read_text())
            files = marker["files"]
            digests = marker.get("blake2b") or {}
        except Exception:
            return f"its merged marker {self.merged_file(split)} is unreadable"
        for name, size in (files.items() if isinstance(files, dict) else
                           ((name, None) for name in files)):
            path = self.save_dir / name
            want = digests.get(name) if verify and isinstance(digests, dict) else None
            try:
                found, found_digest = file_digest(path) if want else (_size(path), None)
            except FileNotFoundError:
                return f"{path} is missing"
            except OSError as exc:
                return f"{path} is unreadable ({type(exc).__name__}: {exc})"
            if size is not None and found != size:
                return f"{path} has {found} bytes, it had {size} when written"
            if want and found_digest != want:
                return f"{path} does not hash to what it did when written (blake2b)"
        return None

    def mark_merged(self, split: str, files: list[str],
                    records: dict[str, tuple[int, str]] | None = None) -> None:
        """Write the split's merged marker: the size and blake2b hash of each of its final
        files — from ``records`` (name -> size and hash, taken as the merge wrote them), else
        read back."""
        path = self.merged_file(split)
        make_dirs(path.parent)
        records = records or {}
        found = {name: records.get(name) or file_digest(self.save_dir / name)
                 for name in files}
        atomic_write_text(path, json.dumps({
            "files": {name: size for name, (size, _) in found.items()},
            "blake2b": {name: digest for name, (_, digest) in found.items()}}) + "\n")

    def discard_shard_files(self, split: str) -> None:
        rmtree(self.root / "shards" / split)


def digests_of(marker: dict) -> dict[str, str]:
    """The blake2b hash a completion marker records for each of its shard's files, by name
    in the state folder; empty for an unreadable one."""
    try:
        return {str(name): str(rec["blake2b"]) for name, rec in marker["files"].items()}
    except Exception:
        return {}


def _size(path) -> int:
    if isinstance(path, RemotePath):
        return path.fs.size(path.path)
    return os.stat(path).st_size


def _as_read(config: dict) -> dict:
    """``config`` as it reads back from a manifest (JSON: tuples become lists, and so on)."""
    return json.loads(json.dumps(config, default=str))


def _changed_files(old, new) -> list[str]:
    """The files (of a manifest's ``code_files``: path -> hash) that differ between runs."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    return sorted(str(p) for p in set(old) | set(new) if old.get(p) != new.get(p))


def _describe_change(save_dir, old: dict, new: dict, files=()) -> str:
    changed = []
    for key in sorted(set(old) | set(new)):
        if key not in old or key not in new or old[key] != new[key]:
            was, now = (repr(side[key]) if key in side else "(not recorded)"
                        for side in (old, new))
            changed.append(f"{key}: {was} -> {now}")
    if files:
        changed.append("code changed since the run: " + ", ".join(files))
    what = "; ".join(changed) or "the configuration fingerprint"
    return (
        f"{save_dir} holds a run made with a different configuration ({what}). "
        "Use the same configuration to resume it, another save_dir, or resume=false to "
        "start again from scratch"
    )
