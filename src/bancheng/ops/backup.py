"""``bancheng backup`` and ``bancheng restore``: one archive of the database and the files.

The archive is a gzip-compressed tar:

    database/bancheng.sqlite   SQLite: a copy made with SQLite's online backup API
    database/bancheng.pgdump   PostgreSQL: ``pg_dump --format=custom`` (from the PATH)
    attachments/...            the content-addressed attachment store
    models/...                 trained routing models
    manifest.json              format, version, schema revision, every member's size and SHA-256

Consistency: the database snapshot is taken first (SQLite copies every page in one step under
one read transaction; ``pg_dump`` reads one repeatable-read snapshot). Attachments are written
to disk before the row that names them commits and are never changed afterwards, so every
attachment the snapshot names is on disk when the files are read next; a file written after
the snapshot is an unreferenced extra, which is harmless.

Restore reads the manifest with a schema, checks every member's path, type, size and SHA-256
into a staging folder inside the data directory, refuses a target that already holds data
unless ``--force``, then puts the database and the files in place and migrates to head.
Nothing in the target changes before the whole archive has been verified.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from bancheng import __version__
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.errors import Invalid

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/bancheng.sqlite"
PGDUMP_MEMBER = "database/bancheng.pgdump"
FILE_ROOTS = ("attachments", "models")
CHUNK = 1 << 20


class BackupError(Invalid, code="backup.failed"): ...


class FileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1, max_length=1000)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class DatabaseEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dialect: Literal["sqlite", "postgresql"]
    member: Literal["database/bancheng.sqlite", "database/bancheng.pgdump"]
    alembic_revision: str | None


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal[1]
    application: Literal["bancheng"]
    version: str
    created_at: datetime
    database: DatabaseEntry
    files: list[FileEntry]


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Manifest


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    files: int


# --- helpers ---------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("backup.sqlite_path", "SQLite 数据库必须是文件")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump/pg_restore, the password in the environment
    (never on a command line that ``ps`` shows)."""
    u: URL = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"backup.{name}_missing", f"未找到 {name}（请安装 PostgreSQL 客户端并加入 PATH）"
        )
    return found


def _run(args: list[str], env: dict[str, str], code: str) -> None:
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(code, f"{Path(args[0]).name} 失败：{proc.stderr.strip()[-2000:]}")


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def _files(root: Path) -> Iterator[Path]:
    """Regular files under ``root`` in a stable order, skipping in-flight temporaries."""
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if not name.startswith(".") and path.is_file() and not path.is_symlink():
                yield path


class _HashingReader:
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add(tar: tarfile.TarFile, path: Path, arcname: str) -> FileEntry:
    info = tarfile.TarInfo(arcname)
    with path.open("rb") as f:
        info.size = os.fstat(f.fileno()).st_size
        info.mtime = int(os.fstat(f.fileno()).st_mtime)
        info.mode = 0o600
        reader = _HashingReader(f)
        tar.addfile(info, reader)  # type: ignore[arg-type]
    if reader.size != info.size:
        raise BackupError("backup.file_changed", f"备份期间文件被修改：{arcname}")
    return FileEntry(path=arcname, size=info.size, sha256=reader.digest.hexdigest())


# --- backup ----------------------------------------------------------------------------


def _snapshot_sqlite(url: str, target: Path) -> None:
    source = sqlite3.connect(_sqlite_path(url), timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one consistent read transaction
        if copy.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            raise BackupError("backup.integrity", "数据库副本完整性检查失败")
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
    finally:
        copy.close()
        source.close()


def _snapshot_postgres(url: str, target: Path) -> None:
    conninfo, env = _libpq(url)
    _run(
        [
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={target}",
            f"--dbname={conninfo}",
        ],
        env,
        "backup.pg_dump_failed",
    )


def default_name(now: datetime | None = None) -> str:
    stamp = clock.to_local(now or clock.now()).strftime("%Y%m%d-%H%M%S")
    return f"bancheng-backup-{stamp}.tar.gz"


def backup(settings: Settings, dest: Path) -> BackupResult:
    """Write the archive to ``dest`` (a file name, or a folder to put a dated file in)."""
    url = settings.resolved_database_url
    dialect: Literal["sqlite", "postgresql"] = "sqlite" if settings.is_sqlite else "postgresql"
    if dest.is_dir():
        dest = dest / default_name()
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        raise BackupError("backup.exists", f"目标文件已存在：{dest}")
    created = clock.now()
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".bancheng-backup-") as tmp:
        if dialect == "sqlite":
            member, snap = SQLITE_MEMBER, Path(tmp) / "bancheng.sqlite"
            _snapshot_sqlite(url, snap)
            revision = _revision(f"sqlite:///{snap}")
        else:
            member, snap = PGDUMP_MEMBER, Path(tmp) / "bancheng.pgdump"
            revision = _revision(url)
            _snapshot_postgres(url, snap)
        partial = Path(tmp) / "archive.tar.gz"
        entries: list[FileEntry] = []
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            entries.append(_add(tar, snap, member))
            for root_name in FILE_ROOTS:
                root = settings.data_dir / root_name
                for path in _files(root):
                    arc = f"{root_name}/{path.relative_to(root).as_posix()}"
                    entries.append(_add(tar, path, arc))
            manifest = Manifest(
                format=FORMAT,
                application="bancheng",
                version=__version__,
                created_at=created,
                database=DatabaseEntry(dialect=dialect, member=member, alembic_revision=revision),
                files=entries,
            )
            body = manifest.model_dump_json(indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(created.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(body))
        with partial.open("rb") as f:
            os.fsync(f.fileno())
        os.chmod(partial, 0o600)
        os.replace(partial, dest)
    return BackupResult(dest, manifest)


# --- restore ---------------------------------------------------------------------------


def read_manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError as exc:
        raise BackupError("restore.manifest_missing", "备份文件中没有 manifest.json") from exc
    f = tar.extractfile(member)
    if f is None or member.size > 64 * 1024 * 1024:
        raise BackupError("restore.manifest_invalid", "manifest.json 无效")
    try:
        return Manifest.model_validate(json.loads(f.read()))
    except (ValueError, ValidationError) as exc:
        raise BackupError("restore.manifest_invalid", f"manifest.json 无效：{exc}") from exc


def _safe_member_path(name: str) -> PurePosixPath:
    p = PurePosixPath(name)
    if (
        p.is_absolute()
        or any(part in ("", ".", "..") for part in p.parts)
        or len(p.parts) < 2
        or (p.parts[0] not in (*FILE_ROOTS, "database"))
    ):
        raise BackupError("restore.unexpected_member", f"备份文件含有不允许的路径：{name}")
    return p


def verify_into(archive: Path, staging: Path) -> Manifest:
    """Check every member against the manifest while writing it under ``staging``."""
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError("restore.unreadable", f"无法读取备份文件：{exc}") from exc
    with tar:
        manifest = read_manifest(tar)
        expected = {e.path: e for e in manifest.files}
        if len(expected) != len(manifest.files) or manifest.database.member not in expected:
            raise BackupError("restore.manifest_invalid", "manifest.json 的文件清单无效")
        seen: set[str] = set()
        for member in tar:
            if member.name == MANIFEST:
                continue
            rel = _safe_member_path(member.name)
            entry = expected.get(member.name)
            if entry is None or member.name in seen or not member.isreg():
                raise BackupError("restore.unexpected_member", f"清单之外的成员：{member.name}")
            seen.add(member.name)
            src = tar.extractfile(member)
            assert src is not None
            out = staging.joinpath(*rel.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            digest, size = hashlib.sha256(), 0
            with out.open("wb") as f:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    f.write(chunk)
            if size != entry.size or digest.hexdigest() != entry.sha256:
                raise BackupError("restore.checksum_mismatch", f"校验和不符：{member.name}")
        missing = sorted(set(expected) - seen)
        if missing:
            raise BackupError("restore.member_missing", f"备份文件缺少成员：{missing[0]}")
    return manifest


def target_has_data(settings: Settings) -> str | None:
    """What already holds data in the target, or None when it is empty."""
    url = settings.resolved_database_url
    if settings.is_sqlite:
        path = _sqlite_path(url)
        if path.exists() and path.stat().st_size > 0:
            lite = sqlite3.connect(path)
            try:
                rows = lite.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type='table'"
                ).fetchone()
            finally:
                lite.close()
            if rows and rows[0]:
                return f"数据库 {path} 已有数据表"
    else:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                if inspect(conn).get_table_names():
                    return "PostgreSQL 数据库已有数据表"
        finally:
            engine.dispose()
    for root_name in FILE_ROOTS:
        if next(_files(settings.data_dir / root_name), None) is not None:
            return f"{settings.data_dir / root_name} 中已有文件"
    return None


def _restore_sqlite(staged: Path, url: str) -> None:
    path = _sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()
    source = sqlite3.connect(staged)
    target = sqlite3.connect(path)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


def _restore_postgres(staged: Path, url: str, force: bool) -> None:
    if force:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
    conninfo, env = _libpq(url)
    _run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={conninfo}",
            str(staged),
        ],
        env,
        "restore.pg_restore_failed",
    )


def restore(settings: Settings, archive: Path, *, force: bool = False) -> RestoreResult:
    from bancheng.core.migrate import upgrade

    if not archive.is_file():
        raise BackupError("restore.not_found", f"备份文件不存在：{archive}")
    dialect = "sqlite" if settings.is_sqlite else "postgresql"
    try:
        with tarfile.open(archive, "r:gz") as tar:
            declared = read_manifest(tar)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError("restore.unreadable", f"无法读取备份文件：{exc}") from exc
    if declared.database.dialect != dialect:
        raise BackupError(
            "restore.dialect_mismatch", f"备份来自 {declared.database.dialect}，目标是 {dialect}"
        )
    busy = None if force else target_has_data(settings)
    if busy:
        raise BackupError(
            "restore.target_not_empty", f"恢复目标不为空（{busy}）；确认覆盖请加 --force"
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.data_dir, prefix=".restore-") as tmp:
        staging = Path(tmp)
        manifest = verify_into(archive, staging)
        staged_db = staging.joinpath(*PurePosixPath(manifest.database.member).parts)
        url = settings.resolved_database_url
        if dialect == "sqlite":
            _restore_sqlite(staged_db, url)
        else:
            _restore_postgres(staged_db, url, force)
        for root_name in FILE_ROOTS:
            target = settings.data_dir / root_name
            if target.exists():
                shutil.rmtree(target)
            if (staging / root_name).is_dir():
                os.replace(staging / root_name, target)
    upgrade(url)
    return RestoreResult(manifest, len(manifest.files) - 1)
