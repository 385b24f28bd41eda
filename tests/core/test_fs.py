"""Atomic writes: a file appears under its final name complete, or not at all."""

import pytest

from synthset.core.errors import ConfigError
from synthset.core.fs import AtomicFile, atomic_open, make_folder


def test_atomic_file_appears_on_commit_only(tmp_path):
    path = tmp_path / "out.bin"
    f = AtomicFile(path, "wb")
    f.write(b"head")
    f.writelines([b"-a", b"-b"])
    assert not path.exists()
    f.commit()
    assert path.read_bytes() == b"head-a-b"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_abort_keeps_the_previous_file(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old\n")
    f = AtomicFile(path)
    f.write("new\n")
    f.abort()
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_open_removes_its_temporary_file_on_error(tmp_path):
    with pytest.raises(RuntimeError), atomic_open(tmp_path / "x.txt") as f:
        f.write("half")
        raise RuntimeError("killed mid-way")
    assert list(tmp_path.iterdir()) == []


def test_text_is_utf8_with_unix_newlines(tmp_path):
    with atomic_open(tmp_path / "t.txt") as f:
        f.write("∑\n")
    assert (tmp_path / "t.txt").read_bytes() == "∑\n".encode()


def test_remote_paths_write_through_the_same_helper():
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    with atomic_open("memory://synthset-fs-test/a.txt") as f:
        f.write("remote\n")
    assert fs.cat_file("/synthset-fs-test/a.txt") == b"remote\n"
    assert fs.ls("/synthset-fs-test", detail=False) == ["/synthset-fs-test/a.txt"]
    fs.rm("/synthset-fs-test", recursive=True)


def test_a_folder_asked_for_where_a_file_is_names_the_file(tmp_path):
    make_folder(tmp_path / "a" / "b", "save_dir")  # parents made
    make_folder(tmp_path / "a" / "b", "save_dir")  # and an existing folder is fine
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ConfigError) as info:
        make_folder(tmp_path / "afile", "--output-dir")
    assert str(info.value) == f"--output-dir {tmp_path / 'afile'} is a file, not a folder"
    with pytest.raises(ConfigError) as info:
        make_folder(tmp_path / "afile" / "run", "save_dir")
    assert str(info.value) == f"save_dir {tmp_path / 'afile' / 'run'} cannot be made: " \
                              f"{tmp_path / 'afile'} is a file, not a folder"
