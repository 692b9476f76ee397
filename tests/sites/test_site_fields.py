"""A site's fields are defined once (app/domain/site_fields.py): the API schemas, the
staff form, the package columns and the exported facts carry exactly those fields, and
a field added to the definition reaches every one of them."""

from __future__ import annotations

from dataclasses import fields

from app.api.sites import SiteFields, SiteFieldsBase, SiteIn, SiteOut, SiteOutBase, site_schemas
from app.domain.packages import COLUMNS, PackageOnly
from app.domain.packages.columns import package_columns
from app.domain.site_fields import FACT_NAMES, INFRASTRUCTURE, SITE_FIELDS, FieldType, SiteField
from app.domain.sites import SiteDraft
from app.services.syndication import FACT_FIELDS
from app.web.sites import FORM_FIELDS, form_sections

NAMES = {site_field.name for site_field in SITE_FIELDS}
# Columns of a package that are no field of a site: coordinates in the other system, the
# coordinate system, attachments.
PACKAGE_ONLY = {"easting", "northing", "crs", "attachments"}
# Edited outside the form's field list: the industries as checkboxes, the boundary not
# in the form at all.
OFF_FORM = {"industry_codes", "polygon"}


def _own(model: type, base: type) -> set[str]:
    return set(model.model_fields) - set(base.model_fields)  # type: ignore[attr-defined]


def test_the_draft_holds_exactly_the_defined_fields() -> None:
    assert {f.name for f in fields(SiteDraft)} == NAMES


def test_the_api_schemas_carry_exactly_the_defined_fields() -> None:
    assert _own(SiteFields, SiteFieldsBase) == NAMES
    assert _own(SiteIn, SiteFieldsBase) == NAMES
    assert _own(SiteOut, SiteOutBase) == NAMES
    required = {name for name, info in SiteIn.model_fields.items() if info.is_required()}
    assert required == {f.name for f in SITE_FIELDS if f.required}


def test_the_form_carries_the_defined_fields_but_the_separately_edited() -> None:
    assert {f.name for f in FORM_FIELDS} == NAMES - OFF_FORM
    assert {f.name for f in SITE_FIELDS if f.widget is None} == OFF_FORM


def test_the_package_columns_are_the_defined_fields_and_the_packages_own() -> None:
    names = [column.name for column in COLUMNS]
    assert set(names) == NAMES | PACKAGE_ONLY
    assert [name for name in names if name in NAMES] == [f.name for f in SITE_FIELDS]
    assert {c.name for c in COLUMNS if isinstance(c.value_type, PackageOnly)} <= PACKAGE_ONLY


def test_the_exported_facts_are_the_defined_public_facts() -> None:
    assert FACT_FIELDS == FACT_NAMES
    assert tuple(f.name for f in SITE_FIELDS if f.fact) == FACT_NAMES


def test_a_field_added_to_the_definition_reaches_every_place() -> None:
    heat_pump = SiteField(
        "heat_pump_kw",
        FieldType.DECIMAL,
        "Heat pump capacity (kW)",
        "Capacity of the heat pump (kW).",
        ("lampopumppu_kw",),
        section=INFRASTRUCTURE,
        unit="kW",
        fact=True,
    )
    extended = (*SITE_FIELDS, heat_pump)
    patch, new, answer = site_schemas(extended)
    for model in (patch, new, answer):
        assert "heat_pump_kw" in model.model_fields
    infrastructure = dict(form_sections(extended))[INFRASTRUCTURE]
    assert [f.name for f in infrastructure][-1] == "heat_pump_kw"
    [column] = [c for c in package_columns(extended) if c.name == "heat_pump_kw"]
    assert column.aliases == ("lampopumppu_kw",)
    assert column.help == "Capacity of the heat pump (kW)."
