"""Backup and restore: the database plus the stored files, with a manifest of checksums.

A backup is a folder:

    manifest.json       what the backup holds, with sizes and SHA-256s; written last, so a
                        folder without one is an unfinished backup
    database.dump       PostgreSQL, pg_dump's custom format (or database.sqlite3: a copy
                        made through SQLite's backup API)
    files/<key>         every stored file of the local and S3 backends; the database
                        backend's files are rows in the dump

The dump is taken before the files are copied: a file uploaded in between is copied
without a record (harmless), while one the dump refers to is still there to copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from app.db.migrations import alembic_config, upgrade_to_head
from app.db.session import make_engine
from app.domain.errors import DomainError
from app.settings import Settings
from app.storage import DatabaseStorage, Storage, checked_key, is_valid_key, storage_for

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
MANIFEST_FIELDS = frozenset({"alembic_revision", "database", "storage_backend", "files"})
POSTGRES_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FILES = "files"
# A restore names at most this many damaged files; the rest are counted.
DAMAGED_SHOWN = 10


class BackupRefused(DomainError):
    title = "Backup or restore refused"


@dataclass(frozen=True)
class BackupSummary:
    folder: Path
    revision: str
    files: int
    size_bytes: int

    def summary(self) -> str:
        return (
            f"Backup in {self.folder}: database at revision {self.revision}, "
            f"{self.files} stored files, {self.size_bytes} bytes in all."
        )


@dataclass(frozen=True)
class RestoreSummary:
    revision: str
    stored_files: int

    def summary(self) -> str:
        return (
            f"Restored the database (revision {self.revision}); the storage holds "
            f"{self.stored_files} files."
        )


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _entry(folder: Path, relative: str) -> dict[str, Any]:
    path = folder / relative
    return {"path": relative, "size": path.stat().st_size, "sha256": _sha256(path)}


def _app_version() -> str:
    try:
        return version("invest-kainuu")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _database_revision(engine: Engine) -> str:
    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    if len(heads) != 1:
        raise BackupRefused("The database is not migrated: run `invest-kainuu migrate` first.")
    return heads[0]


# --- PostgreSQL's own tools -----------------------------------------------------------------


def _pg_tool(name: str, engine: Engine) -> str:
    """The tool of the server's major version where Debian keeps one per version (an older
    pg_dump refuses a newer server), else the one on PATH."""
    with engine.connect() as connection:
        major = int(connection.scalar(text("SHOW server_version_num")) or 0) // 10000
    matched = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if matched.is_file():
        return str(matched)
    found = shutil.which(name)
    if found is None:
        raise BackupRefused(f"{name} is not installed: install the PostgreSQL {major} client.")
    return found


def _run_pg_tool(command: list[str], database_url: str) -> None:
    """Runs pg_dump or pg_restore with the database as a libpq URI; the password goes in
    the environment, never on a command line that `ps` shows."""
    url = make_url(database_url)
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    finished = subprocess.run(  # noqa: S603 (a fixed tool and our own arguments)
        [*command, "--dbname", uri], env=environment, capture_output=True, text=True, check=False
    )
    if finished.returncode != 0:
        tool = Path(command[0]).name
        raise BackupRefused(f"{tool} failed: {finished.stderr.strip()}")


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupRefused("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy even while the application writes (SQLite's backup API)."""
    reading = sqlite3.connect(source)
    try:
        writing = sqlite3.connect(target)
        try:
            reading.backup(writing)
        finally:
            writing.close()
    finally:
        reading.close()


# --- backup ---------------------------------------------------------------------------------


def create_backup(settings: Settings, folder: Path) -> BackupSummary:
    if folder.exists() and any(folder.iterdir()):
        raise BackupRefused(f"{folder} is not empty: back up into a new folder.")
    folder.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    try:
        revision = _database_revision(engine)
        if engine.dialect.name == "postgresql":
            dump = POSTGRES_DUMP
            pg_dump = _pg_tool("pg_dump", engine)
            _run_pg_tool(
                [pg_dump, "--format=custom", "--file", str(folder / dump)], settings.database_url
            )
        else:
            dump = SQLITE_COPY
            _sqlite_copy(_sqlite_path(settings.database_url), folder / dump)
    finally:
        engine.dispose()
    entries = [_entry(folder, dump)]
    if settings.storage_backend != "database":
        storage = storage_for(settings)
        for key in sorted(storage.keys()):
            path = folder / FILES / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(storage.get(key))
            entries.append(_entry(folder, f"{FILES}/{key}"))
    manifest = {
        "format": MANIFEST_FORMAT,
        "app_version": _app_version(),
        "alembic_revision": revision,
        "created_at": datetime.now(UTC).isoformat(),
        "database": engine.dialect.name,
        "storage_backend": settings.storage_backend,
        "files": entries,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return BackupSummary(folder, revision, len(entries) - 1, sum(int(e["size"]) for e in entries))


# --- restore --------------------------------------------------------------------------------


def _is_backup_file(path: str, dump: str) -> bool:
    """The dump or a stored file: a manifest never leads outside its folder."""
    stored = path.removeprefix(f"{FILES}/")
    return path == dump or (stored != path and is_valid_key(stored))


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupRefused(f"{folder} has no {MANIFEST}: not a backup, or an unfinished one.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupRefused(f"{MANIFEST} is damaged: {exc}") from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != MANIFEST_FORMAT
        or not manifest.keys() >= MANIFEST_FIELDS
        or not all(isinstance(entry, dict) for entry in manifest["files"])
    ):
        raise BackupRefused(f"{MANIFEST} is not a backup manifest this version reads.")
    dump = POSTGRES_DUMP if manifest["database"] == "postgresql" else SQLITE_COPY
    paths = [str(entry.get("path")) for entry in manifest["files"]]
    if dump not in paths:
        raise BackupRefused(f"{MANIFEST} does not list {dump}: the backup is incomplete.")
    if not all(_is_backup_file(p, dump) for p in paths):
        raise BackupRefused(f"{MANIFEST} lists files that are not part of a backup.")
    return manifest


def _verify(folder: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest lists is there with its size and checksum, or nothing is
    restored."""
    damaged: list[str] = []
    for entry in manifest["files"]:
        path = folder / entry["path"]
        if not path.is_file():
            damaged.append(f"{entry['path']}: missing")
        elif path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            damaged.append(f"{entry['path']}: checksum mismatch")
    if damaged:
        shown = "\n  ".join(damaged[:DAMAGED_SHOWN])
        more = len(damaged) - DAMAGED_SHOWN
        tail = f"\n  … and {more} more" if more > 0 else ""
        raise BackupRefused(
            f"The backup in {folder} is damaged; nothing was restored:\n  {shown}{tail}"
        )


def _check_revision_known(revision: str) -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    if revision not in {script.revision for script in scripts.walk_revisions()}:
        raise BackupRefused(
            f"The backup's database is at revision {revision}, unknown to this version: "
            "restore it with the version that made it."
        )


def _check_target_empty(engine: Engine, storage: Storage, settings: Settings) -> None:
    if inspect(engine).get_table_names():
        raise BackupRefused(
            "The target database is not empty: restore into a new database, or pass "
            "--force to replace what is there."
        )
    # The database backend's files live in the (empty) database checked above.
    if settings.storage_backend != "database" and next(iter(storage.keys()), None):
        raise BackupRefused(
            "The target storage is not empty: restore into a new storage, or pass "
            "--force to replace what is there."
        )


def _restore_database(settings: Settings, engine: Engine, folder: Path, *, force: bool) -> None:
    if engine.dialect.name == "postgresql":
        pg_restore = _pg_tool("pg_restore", engine)
        command = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error"]
        command += ["--single-transaction"]
        if force:
            command += ["--clean", "--if-exists"]
        _run_pg_tool([*command, str(folder / POSTGRES_DUMP)], settings.database_url)
    else:
        engine.dispose()  # no connection of ours holds the file while it is replaced
        _sqlite_copy(folder / SQLITE_COPY, _sqlite_path(settings.database_url))


def _put(storage: Storage, key: str, data: bytes) -> None:
    """Stores `data` under `key`, replacing a different file under that key (--force)."""
    if not storage.put(key, data) and storage.get(key) != data:
        storage.delete(key)
        storage.put(key, data)


def restore_backup(settings: Settings, folder: Path, *, force: bool = False) -> RestoreSummary:
    manifest = _read_manifest(folder)
    _verify(folder, manifest)
    revision = str(manifest["alembic_revision"])
    _check_revision_known(revision)
    engine = make_engine(settings.database_url)
    try:
        if manifest["database"] != engine.dialect.name:
            raise BackupRefused(
                f"The backup holds a {manifest['database']} database; the target is "
                f"{engine.dialect.name}."
            )
        storage = storage_for(settings)
        if not force:
            _check_target_empty(engine, storage, settings)
        _restore_database(settings, engine, folder, force=force)
        # A backup of an older version is brought to this version's schema.
        upgrade_to_head(engine)
        for entry in manifest["files"]:
            if entry["path"].startswith(f"{FILES}/"):
                key = checked_key(entry["path"].removeprefix(f"{FILES}/"))
                _put(storage, key, (folder / entry["path"]).read_bytes())
        if manifest["storage_backend"] == "database" and settings.storage_backend != "database":
            # The files came inside the dump: hand them to the storage now in use.
            in_dump = DatabaseStorage(engine)
            for key in list(in_dump.keys()):
                _put(storage, key, in_dump.get(key))
        stored = len(list(storage.keys()))
    finally:
        engine.dispose()
    return RestoreSummary(revision, stored)
