"""One contract for every storage backend: a folder, the database, an S3 bucket (a real
moto server process on a free local port)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from app.settings import Settings
from app.storage import DatabaseStorage, LocalStorage, S3Storage, Storage, storage_for
from tests.conftest import TEST_SECRET

BUCKET = "kainuu-test"
REGION = "eu-north-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the moto server did not start") from None
                time.sleep(0.2)
        s3_client(endpoint).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def s3_client(endpoint: str) -> Any:
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test-key-id",
        aws_secret_access_key="test-secret",
    )


@pytest.fixture(params=["local", "database", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path, engine: Engine) -> Iterator[Storage]:
    backend: Storage
    if request.param == "local":
        backend = LocalStorage(tmp_path / "storage")
    elif request.param == "database":
        backend = DatabaseStorage(engine)
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        backend = S3Storage(s3_client(endpoint), BUCKET, f"run-{uuid.uuid4().hex}/")
    yield backend
    for key in list(backend.keys()):
        backend.delete(key)


def test_put_tells_whether_the_file_is_new_and_never_overwrites(storage: Storage) -> None:
    key = "sites/ab/ab12cd"
    assert storage.put(key, b"first") is True
    assert storage.put(key, b"second") is False
    assert storage.get(key) == b"first"
    assert storage.exists(key)
    assert storage.put("thumbs/ab/empty.jpg", b"") is True
    assert storage.get("thumbs/ab/empty.jpg") == b""


def test_missing_files_and_idempotent_delete(storage: Storage) -> None:
    with pytest.raises(FileNotFoundError):
        storage.get("sites/00/missing")
    assert not storage.exists("sites/00/missing")
    storage.put("sites/00/present", b"x")
    storage.delete("sites/00/present")
    storage.delete("sites/00/present")
    assert not storage.exists("sites/00/present")
    with pytest.raises(FileNotFoundError):
        storage.get("sites/00/present")


@pytest.mark.parametrize(
    "key", ["", "../etc/passwd", "/absolute", "Sites/ab", "a//b", "a/../b", "a/", "a b"]
)
def test_keys_are_validated_by_every_operation(storage: Storage, key: str) -> None:
    for operation in (
        lambda: storage.put(key, b"x"),
        lambda: storage.get(key),
        lambda: storage.exists(key),
        lambda: storage.delete(key),
    ):
        with pytest.raises(ValueError, match="invalid storage key"):
            operation()


def test_keys_lists_every_stored_file(storage: Storage) -> None:
    stored = {"sites/ab/ab1", "thumbs/ab/ab1.jpg", "clusters/agreements/cd/cd2"}
    for key in stored:
        storage.put(key, key.encode())
    assert set(storage.keys()) == stored
    assert {key: storage.get(key) for key in stored} == {k: k.encode() for k in stored}


def test_bytes_survive_unchanged(storage: Storage) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB with every byte value, NUL included
    storage.put("sites/ff/binary", data)
    assert storage.get("sites/ff/binary") == data


def test_s3_prefixes_keep_installations_apart(s3_endpoint: str) -> None:
    client = s3_client(s3_endpoint)
    first = S3Storage(client, BUCKET, f"one-{uuid.uuid4().hex}/")
    second = S3Storage(client, BUCKET, f"two-{uuid.uuid4().hex}/")
    first.put("sites/ab/shared", b"one")
    assert not second.exists("sites/ab/shared")
    assert second.put("sites/ab/shared", b"two") is True
    assert (first.get("sites/ab/shared"), list(second.keys())) == (b"one", ["sites/ab/shared"])
    first.delete("sites/ab/shared")
    second.delete("sites/ab/shared")


def _settings(**values: Any) -> Settings:
    return Settings(environment="test", secret_key=TEST_SECRET, **values)


def test_the_setting_chooses_the_backend(database_url: str, s3_endpoint: str) -> None:
    assert isinstance(storage_for(_settings()), LocalStorage)
    if not database_url.startswith("sqlite"):
        chosen = storage_for(_settings(storage_backend="database", database_url=database_url))
        assert isinstance(chosen, DatabaseStorage)
    s3 = storage_for(
        _settings(
            storage_backend="s3",
            s3_bucket=BUCKET,
            s3_endpoint_url=s3_endpoint,
            s3_region=REGION,
            s3_access_key_id="test-key-id",
            s3_secret_access_key="test-secret",
            s3_prefix="kainuu",
        )
    )
    assert isinstance(s3, S3Storage)
    assert s3.prefix == "kainuu/"
    s3.put("sites/ab/chosen", b"x")
    assert s3_client(s3_endpoint).get_object(Bucket=BUCKET, Key="kainuu/sites/ab/chosen")
    s3.delete("sites/ab/chosen")


def test_settings_refuse_an_unusable_backend() -> None:
    with pytest.raises(ValidationError, match="S3_BUCKET"):
        _settings(storage_backend="s3")
    with pytest.raises(ValidationError, match="needs PostgreSQL"):
        _settings(storage_backend="database", database_url="sqlite:///x.db")


def test_the_s3_secret_is_never_shown() -> None:
    settings = _settings(storage_backend="s3", s3_bucket=BUCKET, s3_secret_access_key="hush-42")
    assert "hush-42" not in repr(settings)
    assert "hush-42" not in str(settings.model_dump())
