"""ZIP archives checked before anything is unpacked (entry count, sizes, compression
ratio, paths, links, encryption, nesting), and file types told by their content."""

from __future__ import annotations

import io
import posixpath
import re
import unicodedata
import zipfile
from typing import Final

from app.domain.packages.context import Context, refuse
from app.domain.packages.messages import format_size
from app.domain.packages.report import MB
from app.domain.sites import shown

MANIFEST_NAMES: Final = ("sites.json", "sites.yaml", "sites.yml", "datapackage.json")

_RATIO_FLOOR: Final = MB  # below this, tight compression cannot hurt
_JUNK_NAMES: Final = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
ZIP_MAGIC: Final = b"PK\x03\x04"
# Archive signatures refused inside a package: (offset, magic, name).
_ARCHIVE_MAGIC: Final = (
    (0, b"PK\x03\x04", "ZIP"),
    (0, b"PK\x05\x06", "ZIP"),
    (0, b"\x1f\x8b", "gzip"),
    (0, b"7z\xbc\xaf\x27\x1c", "7z"),
    (0, b"Rar!\x1a\x07", "RAR"),
    (0, b"BZh", "bzip2"),
    (0, b"\xfd7zXZ\x00", "xz"),
    (0, b"\x28\xb5\x2f\xfd", "zstd"),
    (257, b"ustar", "tar"),
)
_OTHER_MAGIC: Final = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel 97-2003 / OLE2"),
    (b"MZ", "Windows executable"),
    (b"\x7fELF", "ELF executable"),
)


def sniff_content_type(data: bytes) -> str | None:
    """The accepted attachment type of `data` by its magic bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def archive_kind(data: bytes) -> str | None:
    return next(
        (name for offset, magic, name in _ARCHIVE_MAGIC if data[offset:].startswith(magic)), None
    )


def describe_content(data: bytes) -> str:
    """What `data` is by content, for messages ("ZIP", "PNG", "text", "binary")."""
    found = archive_kind(data) or next((n for m, n in _OTHER_MAGIC if data.startswith(m)), None)
    if found:
        return found
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if b"\x00" in data[:8192]:
        return "binary"
    try:
        data[:8192].decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sample's end is still UTF-8 text.
        if exc.start < 8188:
            return "text (not UTF-8)"
    return "text"


def _unsafe_name(name: str) -> bool:
    path = name.replace("\\", "/")
    return (
        path.startswith("/")
        or re.match(r"[A-Za-z]:", path) is not None
        or "\x00" in path
        or ".." in path.split("/")
    )


def is_junk(name: str) -> bool:
    """Operating-system clutter that zipping a folder adds (macOS, Windows)."""
    base = posixpath.basename(name)
    return name.startswith("__MACOSX/") or base in _JUNK_NAMES or base.startswith("._")


class Archive:
    """A ZIP whose every entry has passed the safety checks; nothing is unpacked before."""

    def __init__(self, ctx: Context, data: bytes) -> None:
        self.ctx = ctx
        limits = ctx.limits
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
            refuse("corrupt_archive")
        if len(infos) > limits.max_entries:
            refuse("too_many_entries", count=len(infos), max=limits.max_entries)
        self.entries: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = unicodedata.normalize("NFC", info.filename)
            is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
            if _unsafe_name(name) or is_link:
                refuse("unsafe_path", path=shown(name))
            if info.flag_bits & 0x1:
                refuse("encrypted_entry", path=shown(name))
            if name in self.entries:
                refuse("duplicate_entry", path=shown(name))
            if info.file_size > limits.max_file_bytes:
                refuse(
                    "entry_too_large",
                    path=shown(name),
                    size=format_size(info.file_size, ctx.lang),
                    max=format_size(limits.max_file_bytes, ctx.lang),
                )
            # zipfile never returns more than the declared size, so the declared sizes
            # bound what unpacking can produce.
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > _RATIO_FLOOR and ratio > limits.max_compression_ratio:
                refuse(
                    "compression_ratio",
                    path=shown(name),
                    ratio=int(ratio),
                    max=limits.max_compression_ratio,
                )
            total += info.file_size
            if total > limits.max_unpacked_bytes:
                refuse(
                    "unpacked_too_large",
                    size=format_size(sum(i.file_size for i in infos), ctx.lang),
                    max=format_size(limits.max_unpacked_bytes, ctx.lang),
                )
            if not info.is_dir():
                self.entries[name] = info
        overall = total / len(data)
        if total > _RATIO_FLOOR and overall > limits.max_compression_ratio:
            refuse(
                "compression_ratio",
                path=shown(ctx.filename),
                ratio=int(overall),
                max=limits.max_compression_ratio,
            )
        self.referenced: set[str] = set()
        self._cache: dict[str, bytes] = {}
        self.kind = self._kind()

    def _kind(self) -> str:
        names = self.entries.keys()
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return "xlsx"
        if "xl/workbook.bin" in names:
            return "Excel binary workbook (.xlsb)"
        if "mimetype" in names and self.read("mimetype").startswith(b"application/vnd.oasis"):
            return "OpenDocument"
        return "package"

    def read(self, name: str) -> bytes:
        if name not in self._cache:
            try:
                with self.zip.open(self.entries[name]) as entry:
                    self._cache[name] = entry.read()
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
                refuse("corrupt_archive")
        return self._cache[name]

    def refuse_nested(self) -> None:
        for name, info in self.entries.items():
            if is_junk(name):
                continue
            try:
                with self.zip.open(info) as entry:
                    head = entry.read(512)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
                refuse("corrupt_archive")
            if archive_kind(head):
                refuse("nested_archive", path=shown(name))

    def manifest(self) -> str:
        candidates = [
            name
            for name in self.entries
            if posixpath.basename(name) in MANIFEST_NAMES and name.count("/") <= 1
        ]
        # A folder zipped as a whole puts everything under one top-level directory.
        at_root = [name for name in candidates if "/" not in name]
        chosen = at_root or candidates
        if not chosen:
            refuse("manifest_missing")
        if len(chosen) > 1:
            refuse("multiple_manifests", files=", ".join(sorted(chosen)))
        return chosen[0]

    def resolve(self, base: str, reference: str) -> str | None:
        """The entry a manifest's relative reference names; None if it is unsafe."""
        reference = unicodedata.normalize("NFC", reference.strip()).replace("\\", "/")
        if not reference or _unsafe_name(reference):
            return None
        return posixpath.normpath(posixpath.join(base, reference))
