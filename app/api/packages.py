"""Site packages: upload for a dry-run report, then apply the report by its id."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from app.api.deps import ApiActor, DbSession
from app.api.openapi import file_responses
from app.api.sites import StorageDep, read_limited, request_lang
from app.db.models import SitePackageUpload
from app.domain.packages import PackageLimits
from app.services import packages

router = APIRouter(tags=["site packages"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_NAME = "site-package-template.xlsx"
EXAMPLE_NAME = "site-package-example.zip"


class UploadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    created_at: datetime
    filename: str
    sha256: str
    size_bytes: int
    format: str | None
    status: str
    applied_at: datetime | None
    # The summary, the package's own issues and one page of rows: `rows_total` rows in
    # all, from `rows_offset` on (GET the upload with `offset` for the next page).
    report: dict[str, Any]


def _out(
    db: Session, upload: SitePackageUpload, offset: int = 0, limit: int = packages.PAGE_LIMIT
) -> UploadOut:
    out = UploadOut.model_validate(upload)
    out.report = packages.report_page(db, upload, offset, limit)
    return out


def download(data: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content=data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/site-packages/template.xlsx", response_class=Response, responses=file_responses(XLSX))
def template(db: DbSession) -> Response:
    """The spreadsheet template with a guide sheet (no login needed)."""
    return download(packages.template_xlsx(db), XLSX, TEMPLATE_NAME)


@router.get(
    "/site-packages/example.zip",
    response_class=Response,
    responses=file_responses("application/zip"),
)
def example(db: DbSession) -> Response:
    """An example ZIP package with a manifest, a photo, a brochure and a map."""
    return download(packages.example_zip(db), "application/zip", EXAMPLE_NAME)


@router.post("/site-packages", response_model=UploadOut, status_code=201)
async def upload(
    request: Request,
    db: DbSession,
    actor: ApiActor,
    file: Annotated[UploadFile, File()],
    lang: Annotated[str | None, Form(pattern="^(fi|en)$")] = None,
) -> Any:
    """Dry run: the report of what applying would create, update or leave unchanged.
    A refused file answers 422 with every reason and stores nothing."""
    data = await read_limited(file, PackageLimits().max_upload_bytes)
    upload = packages.check_package(
        db,
        actor,
        filename=file.filename or "package",
        data=data,
        lang=lang or request_lang(request),
    )
    return _out(db, upload)


@router.get("/site-packages/{upload_id}", response_model=UploadOut)
def get_upload(
    upload_id: uuid.UUID,
    db: DbSession,
    actor: ApiActor,
    offset: Annotated[int, Query(ge=0, description="First report row to include")] = 0,
    limit: Annotated[
        int, Query(ge=1, le=packages.PAGE_LIMIT, description="Report rows to include")
    ] = packages.PAGE_LIMIT,
) -> Any:
    """The upload and its report, a page of rows at a time."""
    return _out(db, packages.get_upload(db, actor, upload_id), offset, limit)


@router.post("/site-packages/{upload_id}/apply", response_model=UploadOut)
def apply(upload_id: uuid.UUID, db: DbSession, actor: ApiActor, storage: StorageDep) -> Any:
    """Apply a checked package: all its sites or none."""
    return _out(db, packages.apply_package(db, actor, storage, upload_id))
