"""File storage behind a small interface: a local folder, the database or an S3 bucket,
chosen by STORAGE_BACKEND in `storage_for`, the one place that builds a storage.

Keys are relative, slash-separated names chosen by the application (never by an
uploader), e.g. "sites/ab/ab12…" for content-addressed attachments.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import ClientError
from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from app.db.base import utcnow
from app.db.models.storage import StoredFile
from app.db.session import make_engine
from app.settings import Settings

_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*")


def is_valid_key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None


def checked_key(key: str) -> str:
    if not is_valid_key(key):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> bool:
        """Store `data` under `key`; return whether it was new (False: already there)."""

    def get(self, key: str) -> bytes:
        """The bytes under `key`; FileNotFoundError when there are none."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove `key`; nothing happens when it is not there."""

    def keys(self) -> Iterator[str]:
        """Every stored key, in no particular order (backups copy them all)."""


class LocalStorage:
    """Files under one folder. Writes go to a temporary file renamed into place, so a
    reader never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)

    def put(self, key: str, data: bytes) -> bool:
        path = self._path(key)
        if path.exists():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return True

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in self.root.rglob("*"):
            key = path.relative_to(self.root).as_posix()
            # Half-written uploads (".upload-…") are not keys.
            if path.is_file() and is_valid_key(key):
                yield key


class DatabaseStorage:
    """Files as rows of `stored_files`, shared by every instance that uses the database.

    Each call runs in a short transaction of its own, never in the caller's unit of
    work: a file is committed before the record that refers to it, as with the other
    backends. When the caller's transaction then fails, `storage_transaction` deletes
    the files it wrote; a crash in between leaves an unreferenced, content-addressed
    row, never a record whose file is missing.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, key: str, data: bytes) -> bool:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        insert = (
            dialect.insert(StoredFile)
            .values(
                key=checked_key(key),
                content=data,
                size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(StoredFile.key)
        )
        with self.engine.begin() as connection:
            return connection.scalar(insert) is not None

    def get(self, key: str) -> bytes:
        query = select(StoredFile.content).where(StoredFile.key == checked_key(key))
        with self.engine.connect() as connection:
            content = connection.scalar(query)
        if content is None:
            raise FileNotFoundError(key)
        return bytes(content)

    def exists(self, key: str) -> bool:
        query = select(StoredFile.key).where(StoredFile.key == checked_key(key))
        with self.engine.connect() as connection:
            return connection.scalar(query) is not None

    def delete(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(StoredFile).where(StoredFile.key == checked_key(key)))

    def keys(self) -> Iterator[str]:
        with self.engine.connect() as connection:
            yield from connection.scalars(select(StoredFile.key).order_by(StoredFile.key))


class S3Storage:
    """Objects in an S3-compatible bucket, under an optional key prefix. A put is
    conditional (If-None-Match: *), so of two writers of one key only one is told the
    file was new."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return self.prefix + checked_key(key)

    def put(self, key: str, data: bytes) -> bool:
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._name(key), Body=data, IfNoneMatch="*"
            )
        except ClientError as exc:
            if _error_code(exc) in {"PreconditionFailed", "412", "ConditionalRequestConflict"}:
                return False
            raise
        return True

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if _error_code(exc) in {"NoSuchKey", "404"}:
                raise FileNotFoundError(key) from None
            raise
        return bytes(response["Body"].read())

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if _error_code(exc) in {"NoSuchKey", "404"}:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def keys(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                if is_valid_key(key):
                    yield key


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@lru_cache
def _database_storage(database_url: str) -> DatabaseStorage:
    # One engine per process and database, like the application's own.
    return DatabaseStorage(make_engine(database_url))


@lru_cache
def _s3_client(
    endpoint_url: str | None, region: str | None, key_id: str | None, secret: str | None
) -> Any:
    import boto3  # only where S3 is used: it takes a while to import

    # A session of its own: boto3's default session is not safe to share between
    # threads, the client it makes is.
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )


def storage_for(settings: Settings) -> Storage:
    if settings.storage_backend == "database":
        return _database_storage(settings.database_url)
    if settings.storage_backend == "s3":
        secret = settings.s3_secret_access_key
        client = _s3_client(
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_access_key_id,
            secret.get_secret_value() if secret else None,
        )
        return S3Storage(client, settings.s3_bucket or "", settings.s3_prefix)
    return LocalStorage(settings.storage_dir)
