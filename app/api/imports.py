"""CSV import of organisations, contacts and leads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.api.deps import ApiActor, DbSession
from app.api.openapi import file_responses
from app.domain.errors import FieldError, NotFound
from app.services import imports

router = APIRouter(tags=["imports"])


class FieldProblem(BaseModel):
    field: str
    reason: str
    code: str


class RowReportOut(BaseModel):
    row: int
    label: str
    ok: bool
    errors: list[FieldProblem]
    warnings: list[FieldProblem]


class ImportReportOut(BaseModel):
    kind: str
    dry_run: bool
    applied: bool
    rows_total: int
    rows_valid: int
    rows_invalid: int
    encoding: str | None = Field(
        description="The character encoding the file was detected in, e.g. UTF-8 or Windows-1252"
    )
    file_errors: list[FieldProblem]
    rows: list[RowReportOut]

    @classmethod
    def of(cls, report: imports.ImportReport) -> ImportReportOut:
        def problems(errors: list[FieldError]) -> list[FieldProblem]:
            return [FieldProblem(field=e.field, reason=e.reason, code=e.code) for e in errors]

        return cls(
            kind=report.kind,
            dry_run=report.dry_run,
            applied=report.applied,
            rows_total=len(report.rows),
            rows_valid=report.valid,
            rows_invalid=report.invalid,
            encoding=report.encoding,
            file_errors=problems(report.file_errors),
            rows=[
                RowReportOut(
                    row=r.row,
                    label=r.label,
                    ok=r.ok,
                    errors=problems(r.errors),
                    warnings=problems(r.warnings),
                )
                for r in report.rows
            ],
        )


@router.post("/imports/{kind}", response_model=ImportReportOut)
async def import_csv(
    kind: str,
    db: DbSession,
    actor: ApiActor,
    file: Annotated[
        UploadFile, File(description="CSV (UTF-8 or Windows-1252), comma or semicolon separated")
    ],
    dry_run: Annotated[bool, Query(description="Only check; write nothing")] = True,
) -> ImportReportOut:
    """Check a CSV of `organizations`, `contacts` or `leads` row by row (dry run), or
    apply it: every row is written, or on any error none (422 naming row and field)."""
    content = await file.read(imports.MAX_BYTES + 1)
    return ImportReportOut.of(imports.run_import(db, actor, kind, content, dry_run=dry_run))


@router.get(
    "/imports/{kind}/template.csv",
    response_class=Response,
    responses=file_responses("text/csv", description="The CSV template"),
)
def import_template(kind: str, _actor: ApiActor) -> Response:
    """An empty CSV with the columns the import understands."""
    if kind not in imports.IMPORT_KINDS:
        raise NotFound("No such import kind.")
    return Response(imports.template_csv(kind), media_type="text/csv; charset=utf-8")
