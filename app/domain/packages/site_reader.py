"""One site's raw values, keys already mapped to column names, read into a row: each
value parsed, the location converted to WGS84, attachments checked, then the site
rules (`validate_site`) run on the draft."""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Final

from app.domain.geo import TM35FIN, WGS84, CoordinateError, Crs, guess_crs, to_wgs84
from app.domain.packages.archive import Archive, describe_content, sniff_content_type
from app.domain.packages.attachments import IMAGE_FORMATS, check_image
from app.domain.packages.columns import COLUMNS, SPECIAL_TYPES, Column
from app.domain.packages.context import Context, Invalid
from app.domain.packages.report import AttachmentKind, PackageAttachment, RowResult, Severity
from app.domain.packages.values import (
    attachment_refs,
    boolean_value,
    choice_value,
    codes_value,
    crs_value,
    date_value,
    decimal_value,
    distance_m,
    integer_value,
    municipality_value,
    polygon_points,
    text_value,
)
from app.domain.site_fields import FieldType
from app.domain.sites import SiteDraft, SiteKind, shown, validate_site

_COORDINATE_TOLERANCE_M: Final = 100.0
_Report = Callable[..., None]


class SiteReader:
    """Turns one site's raw values (keys already mapped to column names) into a row."""

    def __init__(
        self,
        ctx: Context,
        file: str,
        archive: Archive | None,
        base: str,
        default_crs: Crs | None,
        *,
        from_table: bool,
    ) -> None:
        self.ctx, self.file, self.archive, self.base = ctx, file, archive, base
        self.default_crs, self.from_table = default_crs, from_table
        self._loaded: dict[str, PackageAttachment | Invalid] = {}

    def _parse(self, column: Column, raw: object) -> object:
        match column.value_type:
            case FieldType.TEXT | FieldType.MULTILINE:
                return text_value(raw)
            case FieldType.DECIMAL:
                return decimal_value(raw)
            case FieldType.INTEGER:
                return integer_value(raw)
            case FieldType.BOOLEAN:
                return boolean_value(raw)
            case FieldType.DATE:
                return date_value(raw)
            case FieldType.CHOICE:
                assert column.choices is not None
                return choice_value(raw, column.choices, self.ctx.lang)
            case FieldType.MUNICIPALITY:
                return municipality_value(
                    raw, self.ctx.municipalities, self.ctx.municipality_aliases
                )
            case FieldType.CODES:
                return codes_value(raw, self.ctx.industries, self.ctx.industry_aliases)
        raise AssertionError(column.value_type)  # the other types are read by their own steps

    def read(
        self, index: int, values: Mapping[str, object], sheet_row: int | None = None
    ) -> RowResult:
        ctx = self.ctx
        row = RowResult(
            index=index, external_ref=None, draft=None, file=self.file, sheet_row=sheet_row
        )

        def report(
            field_name: str,
            code: str,
            severity: Severity = Severity.ERROR,
            *,
            reason: str | None = None,
            **params: object,
        ) -> None:
            issue = ctx.issue(
                code,
                severity=severity,
                file=self.file,
                row=index,
                sheet_row=sheet_row,
                field_name=field_name,
                reason=reason,
                **params,
            )
            (row.errors if severity == Severity.ERROR else row.warnings).append(issue)

        parsed: dict[str, Any] = {}
        for column in COLUMNS:
            raw = values.get(column.name)
            if raw is None:
                continue
            if self.from_table and isinstance(raw, str) and raw.lstrip().startswith("="):
                # Kept as typed: nothing in a package is ever evaluated.
                report(column.name, "formula_as_text", Severity.WARNING)
            if column.value_type in SPECIAL_TYPES:
                continue
            try:
                parsed[column.name] = self._parse(column, raw)
            except Invalid as invalid:
                report(column.name, invalid.code, **invalid.params)
        if "kind" not in values:
            report("kind", "required")

        crs = self.default_crs
        renamed: dict[str, str] = {}
        try:
            if "crs" in values:
                crs = crs_value(values["crs"])
        except Invalid as invalid:
            report("crs", invalid.code, **invalid.params)
        else:
            renamed = self._location(values, crs, parsed, report)
            self._polygon(values.get("polygon"), crs, parsed, report)
        if "attachments" in values:
            if self.archive is None:
                ctx.warn_once("attachments_need_zip", "", file=self.file)
            else:
                row.attachments = self._attach(self.archive, values["attachments"], report)

        errored = {issue.field for issue in row.errors}
        draft = SiteDraft(
            **{"kind": SiteKind.OTHER, "name_fi": "", "municipality_code": "", **parsed}
        )
        for error in validate_site(
            draft, ctx.municipalities, ctx.industries, region=ctx.region, today=ctx.today
        ):
            target = renamed.get(error.field, error.field)
            if target not in errored:
                report(target, error.code, reason=ctx.describe_site_error(error))
        row.external_ref = draft.external_ref
        if draft.external_ref is None:
            report("external_ref", "external_ref_missing", Severity.WARNING)
        row.draft = None if row.errors else draft
        return row

    def _location(
        self,
        values: Mapping[str, object],
        crs: Crs | None,
        parsed: dict[str, Any],
        report: _Report,
    ) -> dict[str, str]:
        """Sets the WGS84 latitude and longitude; returns the fields to name in errors
        about them when they came from easting and northing."""
        numbers: dict[str, float] = {}
        failed = False
        for name in ("latitude", "longitude", "easting", "northing"):
            if name in values:
                try:
                    numbers[name] = float(decimal_value(values[name]))
                except Invalid as invalid:
                    report(name, invalid.code, **invalid.params)
                    failed = True
        if failed:
            return {}
        from_lat_lon = from_east_north = None
        geographic = self._pair(numbers, "latitude", "longitude", report)
        if geographic is not None:
            lat, lon = geographic
            if crs == TM35FIN or (crs is None and guess_crs(lat, lon) == TM35FIN):
                if crs is None:
                    report("latitude", "coordinates_interpreted", Severity.WARNING)
                # Whatever the column names, a TM35FIN northing is the larger number.
                from_lat_lon = self._convert(min(lat, lon), max(lat, lon), TM35FIN, report)
            else:
                from_lat_lon = self._convert(lon, lat, WGS84, report)
        projected = self._pair(numbers, "easting", "northing", report)
        if projected is not None:
            easting, northing = projected
            crs = crs or TM35FIN
            if crs == TM35FIN and easting > northing:
                report("easting", "coordinates_reordered", Severity.WARNING)
                easting, northing = northing, easting
            from_east_north = self._convert(easting, northing, crs, report, "easting")
        if from_lat_lon is not None and from_east_north is not None:
            distance = distance_m(from_lat_lon, from_east_north)
            if distance > _COORDINATE_TOLERANCE_M:
                report("latitude", "coordinates_disagree", distance=round(distance))
                return {}
        chosen = from_lat_lon or from_east_north
        if chosen is not None:
            parsed["latitude"], parsed["longitude"] = chosen
        if from_lat_lon is None and from_east_north is not None:
            return {"latitude": "northing", "longitude": "easting"}
        return {}

    @staticmethod
    def _pair(
        numbers: Mapping[str, float], first: str, second: str, report: _Report
    ) -> tuple[float, float] | None:
        if first in numbers and second in numbers:
            return numbers[first], numbers[second]
        if first in numbers or second in numbers:
            report(second if first in numbers else first, "incomplete_location")
        return None

    @staticmethod
    def _convert(
        x: float, y: float, crs: Crs, report: _Report, field_name: str = "latitude"
    ) -> tuple[float, float] | None:
        try:
            return to_wgs84(x, y, crs)
        except CoordinateError:
            report(field_name, "invalid_coordinates", x=x, y=y, crs=crs)
            return None

    def _polygon(
        self, raw: object, crs: Crs | None, parsed: dict[str, Any], report: _Report
    ) -> None:
        if raw is None:
            return
        try:
            rings = polygon_points(raw)
        except Invalid as invalid:
            report("polygon", invalid.code, **invalid.params)
            return
        first = next((ring[0] for ring in rings if ring), (0.0, 0.0))
        crs = crs or guess_crs(*first) or WGS84
        converted: list[tuple[tuple[float, float], ...]] = []
        for ring in rings:
            points: list[tuple[float, float]] = []
            for x, y in ring:
                point = self._convert(x, y, crs, report, "polygon")
                if point is None:
                    return
                points.append((point[1], point[0]))
            converted.append(tuple(points))
        parsed["polygon"] = tuple(converted)

    def _attach(self, archive: Archive, raw: object, report: _Report) -> list[PackageAttachment]:
        try:
            refs = attachment_refs(raw)
        except Invalid as invalid:
            report("attachments", invalid.code, **invalid.params)
            return []
        attachments: list[PackageAttachment] = []
        for ref in refs:
            name = archive.resolve(self.base, ref.path)
            if name is None:
                report("attachments", "invalid_attachment_ref", value=shown(ref.path))
                continue
            if name not in archive.entries:
                report("attachments", "attachment_missing", path=shown(ref.path))
                continue
            archive.referenced.add(name)
            loaded = self._load(archive, name, ref.path)
            if isinstance(loaded, Invalid):
                report("attachments", loaded.code, **loaded.params)
                continue
            is_image = loaded.content_type.startswith("image/")
            if ref.kind == AttachmentKind.PHOTO and not is_image:
                report("attachments", "attachment_kind_mismatch", path=shown(ref.path))
                continue
            default_kind = AttachmentKind.PHOTO if is_image else AttachmentKind.DOCUMENT
            attachments.append(replace(loaded, kind=ref.kind or default_kind, title=ref.title))
        return attachments

    def _load(self, archive: Archive, name: str, shown_path: str) -> PackageAttachment | Invalid:
        """The checked attachment (kind not yet decided), once per file per package."""
        if name not in self._loaded:
            data = archive.read(name)
            content_type = sniff_content_type(data)
            result: PackageAttachment | Invalid
            if content_type is None:
                result = Invalid(
                    "attachment_type", path=shown(shown_path), detected=describe_content(data)
                )
            else:
                try:
                    if content_type in IMAGE_FORMATS:
                        check_image(data, content_type, self.ctx.limits, shown_path)
                    result = PackageAttachment(
                        name=posixpath.relpath(name, self.base or "."),
                        content_type=content_type,
                        data=data,
                        kind=AttachmentKind.DOCUMENT,
                        sha256=hashlib.sha256(data).hexdigest(),
                    )
                except Invalid as invalid:
                    result = invalid
            self._loaded[name] = result
        return self._loaded[name]
