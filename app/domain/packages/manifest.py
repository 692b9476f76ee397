"""ZIP packages with a manifest: `sites.json` or `sites.yaml` listing the sites, or a
Frictionless `datapackage.json` whose resource holds them (inline or as a CSV file),
with the photos and documents the sites name."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal

import yaml

from app.domain.geo import Crs
from app.domain.packages.archive import Archive, is_junk
from app.domain.packages.columns import COLUMN_BY_KEY, normalise_key
from app.domain.packages.context import Context, Invalid, Refused, refuse
from app.domain.packages.report import PackageFormat, RowResult, Severity
from app.domain.packages.site_reader import SiteReader
from app.domain.packages.tables import csv_rows, is_blank, table_sites
from app.domain.packages.values import crs_value, reject_constant
from app.domain.sites import shown


class _NoAliasLoader(yaml.SafeLoader):
    """safe_load without anchors and aliases: they are how YAML "billion laughs" work."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise Refused("yaml_aliases")
        return super().compose_node(parent, index)


def _load_document(name: str, raw: bytes) -> object:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        refuse("not_utf8", file=name)
    try:
        if name.endswith(".json"):
            return json.loads(text, parse_float=Decimal, parse_constant=reject_constant)
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader)
    except Refused as refused:
        raise Refused(refused.code, name) from None
    except json.JSONDecodeError as exc:
        refuse("manifest_syntax", file=name, line=exc.lineno, column=exc.colno)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else ("?", "?")
        refuse("manifest_syntax", file=name, line=line, column=column)
    except (yaml.YAMLError, ValueError, RecursionError):
        refuse("manifest_syntax", file=name, line="?", column="?")


def manifest_package(ctx: Context, archive: Archive) -> tuple[PackageFormat, Iterator[RowResult]]:
    archive.refuse_nested()
    name = archive.manifest()
    archive.referenced.add(name)
    base = posixpath.dirname(name)
    document = _load_document(name, archive.read(name))
    if posixpath.basename(name) == "datapackage.json":
        package_format = PackageFormat.ZIP_DATAPACKAGE
        results = _datapackage_sites(ctx, archive, name, base, document)
    else:
        package_format = (
            PackageFormat.ZIP_JSON if name.endswith(".json") else PackageFormat.ZIP_YAML
        )
        sites, default_crs = _manifest_sites(name, document)
        results = _object_sites(ctx, archive, name, base, sites, default_crs)
    return package_format, _then_unreferenced(ctx, archive, results)


def _then_unreferenced(
    ctx: Context, archive: Archive, rows: Iterator[RowResult]
) -> Iterator[RowResult]:
    """The rows, then a warning for each file no site named (known once all are read)."""
    yield from rows
    for entry in archive.entries:
        if entry not in archive.referenced and not is_junk(entry):
            ctx.warnings.append(
                ctx.issue(
                    "unreferenced_file", severity=Severity.WARNING, file=entry, path=shown(entry)
                )
            )


def _manifest_crs(file: str, document: Mapping[str, object]) -> Crs | None:
    raw = document.get("coordinate_system", document.get("crs"))
    if raw is None:
        return None
    try:
        return crs_value(raw)
    except Invalid as invalid:
        raise Refused(invalid.code, file, **invalid.params) from None


def _manifest_sites(file: str, document: object) -> tuple[list[object], Crs | None]:
    if isinstance(document, list):
        return document, None
    if isinstance(document, dict):
        sites = document.get("sites", document.get("kohteet"))
        if isinstance(sites, list):
            return sites, _manifest_crs(file, document)
    refuse("manifest_structure", file=file)


def _object_sites(
    ctx: Context,
    archive: Archive | None,
    file: str,
    base: str,
    sites: Sequence[object],
    default_crs: Crs | None,
) -> Iterator[RowResult]:
    if len(sites) > ctx.limits.max_rows:
        refuse("too_many_rows", file=file, max=ctx.limits.max_rows)
    reader = SiteReader(ctx, file, archive, base, default_crs, from_table=False)
    for index, entry in enumerate(sites, start=1):
        if not isinstance(entry, dict):
            row = RowResult(index=index, external_ref=None, draft=None, file=file)
            row.errors.append(ctx.issue("invalid_site_entry", file=file, row=index))
            yield row
            continue
        values: dict[str, object] = {}
        keys: dict[str, str] = {}
        duplicate: tuple[str, str, str] | None = None
        for key, value in entry.items():
            column = COLUMN_BY_KEY.get(normalise_key(str(key)))
            if column is None:
                ctx.warn_once("unknown_column", str(key), file=file, column=shown(key))
            elif column.name in keys:
                duplicate = (column.name, keys[column.name], str(key))
            elif not is_blank(value):
                keys[column.name] = str(key)
                values[column.name] = value
        row = reader.read(index, values)
        if duplicate:
            column_name, first, second = duplicate
            row.errors.append(
                ctx.issue(
                    "duplicate_column",
                    file=file,
                    row=index,
                    field_name=column_name,
                    column=column_name,
                    headers=f"{shown(first)}, {shown(second)}",
                )
            )
            row.draft = None
        yield row


def _datapackage_sites(
    ctx: Context, archive: Archive, file: str, base: str, document: object
) -> Iterator[RowResult]:
    resources = document.get("resources") if isinstance(document, dict) else None
    if not isinstance(document, dict) or not isinstance(resources, list) or not resources:
        refuse("resource_missing", file=file, path=shown("sites"))
    # The resource named "sites", else the only or first one.
    resource = next(
        (r for r in resources if isinstance(r, dict) and r.get("name") == "sites"), resources[0]
    )
    if not isinstance(resource, dict):
        refuse("resource_missing", file=file, path=shown("sites"))
    default_crs = _manifest_crs(file, resource) or _manifest_crs(file, document)
    inline = resource.get("data")
    if isinstance(inline, list) and inline and all(isinstance(r, list) for r in inline):
        return table_sites(
            ctx, file, enumerate(inline, start=1), archive, base=base, default_crs=default_crs
        )
    if isinstance(inline, list):
        return _object_sites(ctx, archive, file, base, inline, default_crs)
    path = resource.get("path")
    if isinstance(path, list) and len(path) == 1:
        path = path[0]
    if not isinstance(path, str):
        refuse("resource_missing", file=file, path=shown(path))
    if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://", path):
        refuse("remote_resource", file=file, path=shown(path))
    name = archive.resolve(base, path)
    if name is None:
        refuse("unsafe_path", file=file, path=shown(path))
    if name not in archive.entries:
        refuse("resource_missing", file=file, path=shown(path))
    archive.referenced.add(name)
    text = ctx.decode(name, archive.read(name))
    dialect = resource.get("dialect")
    delimiter = dialect.get("delimiter") if isinstance(dialect, dict) else None
    if not (isinstance(delimiter, str) and len(delimiter) == 1):
        delimiter = None
    rows = csv_rows(name, text, delimiter)
    return table_sites(ctx, name, rows, archive, base=base, default_crs=default_crs)
