"""Secrets stored encrypted (webhook signing secrets, CMS passwords), under a keyring.

Each stored secret is a Fernet token under a key derived from `SECRET_KEY`. The keyring
is the current key and the keys of the former values listed in `SECRET_KEY_PREVIOUS`:
new secrets are encrypted under the current key, and a secret encrypted under any key of
the ring still decrypts, so changing `SECRET_KEY` loses nothing as long as the old value
stays listed until `invest-kainuu rotate-secrets` has re-encrypted everything under the
current key (`rotate_secrets`).

Every column whose name ends in `_encrypted` holds such a token; rotation finds them in
the metadata, so a secret column added later is rotated too.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Column, Table, select, update
from sqlalchemy.orm import Session

from app.db.base import Base
from app.settings import Settings

__all__ = ["InvalidToken", "decrypt", "encrypt", "readable", "rotate_secrets"]

ENCRYPTED_SUFFIX = "_encrypted"

UNREADABLE_HELP = (
    "The stored secret cannot be decrypted: re-enter it, or if SECRET_KEY was changed, "
    "list the former value in SECRET_KEY_PREVIOUS and run `invest-kainuu rotate-secrets`."
)


@lru_cache(maxsize=16)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"invest-kainuu syndication"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys(settings: Settings) -> tuple[str, ...]:
    current = settings.secret_key.get_secret_value()
    return (current, *[k for k in settings.previous_secret_keys if k != current])


@lru_cache(maxsize=8)
def _ring(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet(k) for k in keys])


def keyring(settings: Settings) -> MultiFernet:
    """The current key first (it encrypts), then the previous ones (they still decrypt)."""
    return _ring(_keys(settings))


def encrypt(settings: Settings, value: str) -> str:
    return keyring(settings).encrypt(value.encode()).decode()


def decrypt(settings: Settings, value: str) -> str:
    """Raises `InvalidToken` when no key of the ring opens the value."""
    return keyring(settings).decrypt(value.encode()).decode()


def readable(settings: Settings, value: str | None) -> bool:
    if value is None:
        return True
    try:
        decrypt(settings, value)
    except InvalidToken:
        return False
    return True


def encrypted_columns() -> list[Column[str]]:
    """Every column of the schema that holds a secret encrypted under the keyring."""
    return [
        column
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith(ENCRYPTED_SUFFIX)
    ]


@dataclass(frozen=True)
class Unreadable:
    table: str
    row_id: str
    column: str


@dataclass
class RotationReport:
    rotated: int = 0
    current: int = 0
    unreadable: list[Unreadable] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"{self.rotated} secrets re-encrypted under the current key; "
            f"{self.current} already were."
        ]
        if self.unreadable:
            lines.append(f"{len(self.unreadable)} cannot be decrypted with any key:")
            lines += [f"  {u.table} {u.row_id} {u.column}" for u in self.unreadable]
            lines.append(UNREADABLE_HELP)
        return "\n".join(lines)


def rotate_secrets(db: Session, settings: Settings) -> RotationReport:
    """Re-encrypt every stored secret under the current key; commits. A secret no key
    opens is left as it is and reported, and never stops the others."""
    current = _fernet(settings.secret_key.get_secret_value())
    ring = keyring(settings)
    report = RotationReport()
    by_table: dict[Table, list[Column[str]]] = {}
    for column in encrypted_columns():
        assert isinstance(column.table, Table)
        by_table.setdefault(column.table, []).append(column)
    for table, columns in by_table.items():
        key = list(table.primary_key.columns)
        rows = db.execute(select(*key, *columns)).mappings().all()
        for row in rows:
            values: dict[str, str] = {}
            for column in columns:
                token = row[column.name]
                if token is None:
                    continue
                try:
                    current.decrypt(token.encode())
                    report.current += 1
                    continue
                except InvalidToken:
                    pass
                try:
                    values[column.name] = ring.rotate(token.encode()).decode()
                    report.rotated += 1
                except InvalidToken:
                    row_id = ":".join(str(row[c.name]) for c in key)
                    report.unreadable.append(Unreadable(table.name, row_id, column.name))
            if values:
                db.execute(update(table).where(*[c == row[c.name] for c in key]).values(**values))
    db.commit()
    return report
