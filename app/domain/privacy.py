"""GDPR rules for contact persons: erasure, retention review and extension.

A person's data is anonymised, never the record deleted: leads, activities and the
audit trail keep their shape (who did what, when), only the personal values go.
"""

from __future__ import annotations

from datetime import date, timedelta

from app.domain.errors import FieldError, ValidationFailed

# What an erased person's name becomes; the audit log uses the same marker.
ERASED = "[erased]"
# The coordinator reviews contacts whose retention ends within this window.
REVIEW_WINDOW = timedelta(days=30)
# An extension reaches at most this far: retention is reviewed, not made endless.
MAX_EXTENSION_YEARS = 5
REASON_LIMIT = 500
RETENTION_ENDED = "Retention period ended."
INQUIRY_NOT_PURSUED = "Portal inquiry not pursued; its retention period ended."
# The contact fields that identify a person wherever else they are written down (a
# note, a message, an itinerary): erasure searches every text for these values.
IDENTIFYING_FIELDS = ("full_name", "email", "phone")


def clean_reason(reason: str | None, field_name: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed.single(field_name, "Give the reason.", "required")
    if len(text) > REASON_LIMIT:
        raise ValidationFailed.single(
            field_name,
            f"At most {REASON_LIMIT} characters.",
            "too_long",
            {"limit": REASON_LIMIT},
        )
    return text


def review_due_by(today: date) -> date:
    """Contacts whose retention ends on or before this day are due for review."""
    return today + REVIEW_WINDOW


def is_expired(retention_until: date | None, today: date) -> bool:
    return retention_until is not None and retention_until < today


def extended_until(
    current: date | None, requested: date | None, today: date, default: date
) -> date:
    """The new retention date: the one asked for, or the default period from today."""
    new = requested or default
    errors: list[FieldError] = []
    if new <= today:
        errors.append(
            FieldError("retention_until", "The new date must be in the future.", "not_after_today")
        )
    elif current is not None and new <= current:
        errors.append(
            FieldError(
                "retention_until",
                "The new date must be later than the current one.",
                "not_extended",
            )
        )
    limit = date(today.year + MAX_EXTENSION_YEARS, today.month, min(today.day, 28))
    if new > limit:
        errors.append(
            FieldError(
                "retention_until",
                f"At most {MAX_EXTENSION_YEARS} years ahead.",
                "too_far_in_future",
                {"years": MAX_EXTENSION_YEARS},
            )
        )
    if errors:
        raise ValidationFailed(errors=errors, detail="The retention cannot be extended.")
    return new
