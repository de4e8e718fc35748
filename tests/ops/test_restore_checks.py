"""What restore refuses: a tampered, incomplete or foreign archive, and a busy target."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from bancheng.core.config import Settings
from bancheng.core.migrate import upgrade
from bancheng.ops.backup import MANIFEST, BackupError, backup, restore


@pytest.fixture()
def archive(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "attachments" / "ab" / "cd").mkdir(parents=True)
    (src / "attachments" / "ab" / "cd" / ("abcd" + "0" * 60)).write_bytes(b"photo bytes")
    (src / "attachments" / "ab" / "cd" / ".tmp-x.part").write_bytes(b"in flight")
    url = f"sqlite:///{src}/bancheng.db"
    upgrade(url)
    return backup(Settings(data_dir=src, database_url=url), tmp_path / "a.tar.gz").path


def _target(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "dst", database_url=f"sqlite:///{tmp_path}/dst/bancheng.db")


def _rewrite(src: Path, dst: Path, change: dict[str, bytes | None], add: dict[str, bytes]) -> None:
    with tarfile.open(src, "r:gz") as old, tarfile.open(dst, "w:gz") as new:
        for m in old:
            data = old.extractfile(m).read()  # type: ignore[union-attr]
            if m.name in change:
                if change[m.name] is None:
                    continue
                data = change[m.name]  # type: ignore[assignment]
            m.size = len(data)
            new.addfile(m, io.BytesIO(data))
        for name, data in add.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))


def test_archive_holds_the_database_files_and_a_manifest(archive: Path) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
    assert names == [
        "database/bancheng.sqlite",
        "attachments/ab/cd/abcd" + "0" * 60,
        MANIFEST,
    ]


def test_restore_into_an_empty_target(archive: Path, tmp_path: Path) -> None:
    target = _target(tmp_path)
    result = restore(target, archive)
    assert result.files == 1
    assert (target.data_dir / "attachments/ab/cd" / ("abcd" + "0" * 60)).read_bytes() == (
        b"photo bytes"
    )
    assert not any(p.name.startswith(".restore-") for p in target.data_dir.iterdir())


@pytest.mark.parametrize(
    ("change", "add", "code"),
    [
        ({"attachments/ab/cd/abcd" + "0" * 60: b"photo byteZ"}, {}, "restore.checksum_mismatch"),
        ({"attachments/ab/cd/abcd" + "0" * 60: None}, {}, "restore.member_missing"),
        ({}, {"attachments/extra": b"x"}, "restore.unexpected_member"),
        ({}, {"attachments/../../escape": b"x"}, "restore.unexpected_member"),
        ({MANIFEST: b"{not json"}, {}, "restore.manifest_invalid"),
        ({MANIFEST: None}, {}, "restore.manifest_missing"),
    ],
)
def test_a_damaged_archive_is_refused_and_nothing_is_written(
    archive: Path, tmp_path: Path, change: dict[str, bytes | None], add: dict[str, bytes], code: str
) -> None:
    bad = tmp_path / "bad.tar.gz"
    _rewrite(archive, bad, change, add)
    target = _target(tmp_path)
    with pytest.raises(BackupError) as err:
        restore(target, bad)
    assert err.value.code == code
    # No database, no files, no staging folder left behind.
    assert not target.data_dir.exists() or list(target.data_dir.iterdir()) == []
    assert not (tmp_path / "escape").exists()


def test_a_sqlite_archive_does_not_restore_into_postgresql(archive: Path, tmp_path: Path) -> None:
    target = Settings(
        data_dir=tmp_path / "dst", database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    with pytest.raises(BackupError) as err:
        restore(target, archive, force=True)
    assert err.value.code == "restore.dialect_mismatch"


def test_backup_refuses_to_overwrite(archive: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    with pytest.raises(BackupError) as err:
        backup(Settings(data_dir=src, database_url=f"sqlite:///{src}/bancheng.db"), archive)
    assert err.value.code == "backup.exists"
