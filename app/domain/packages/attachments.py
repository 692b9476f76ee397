"""An attachment's checks: its type by content, and an image's pixel count before any
decoding; for one file uploaded alone (`check_attachment`) as for a package's files."""

from __future__ import annotations

import io
from typing import Final, NoReturn

from PIL import Image

from app.domain.errors import ValidationFailed
from app.domain.packages.archive import describe_content, sniff_content_type
from app.domain.packages.context import Invalid
from app.domain.packages.messages import format_size, message
from app.domain.packages.report import PackageLimits
from app.domain.sites import shown

IMAGE_FORMATS: Final = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def check_image(data: bytes, content_type: str, limits: PackageLimits, path: str) -> None:
    too_large = Invalid(
        "image_too_large", path=shown(path), max=limits.max_image_pixels // 1_000_000
    )
    try:
        # Image.open reads only the header; Pillow's own MAX_IMAGE_PIXELS check raises
        # DecompressionBombError for the very largest, our limit is checked before any
        # decoding (verify() checks the structure without decoding pixels).
        with Image.open(io.BytesIO(data), formats=[IMAGE_FORMATS[content_type]]) as image:
            width, height = image.size
            if width * height > limits.max_image_pixels:
                raise too_large
            image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except Invalid:
        raise
    except Exception:
        raise Invalid("image_invalid", path=shown(path)) from None


def check_attachment(
    name: str, data: bytes, *, lang: str, limits: PackageLimits | None = None
) -> str:
    """The content type of one uploaded attachment, decided by its content, after the
    same checks a package's attachments pass. Raises ValidationFailed (field "file")."""
    limits = limits or PackageLimits()

    def refuse(code: str, **params: object) -> NoReturn:
        raise ValidationFailed.single("file", message(code, lang, **params), code)

    if not data:
        refuse("empty_file")
    if len(data) > limits.max_file_bytes:
        refuse(
            "file_too_large",
            size=format_size(len(data), lang),
            max=format_size(limits.max_file_bytes, lang),
        )
    content_type = sniff_content_type(data)
    if content_type is None:
        refuse("attachment_type", path=shown(name), detected=describe_content(data))
    if content_type in IMAGE_FORMATS:
        try:
            check_image(data, content_type, limits, name)
        except Invalid as invalid:
            refuse(invalid.code, **invalid.params)
    return content_type
