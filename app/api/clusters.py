"""Cluster groups: members, agreements, meetings and follow-ups, pipeline, links."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.activities import ActivityOut
from app.api.deps import ApiActor, AppSettings, DbSession
from app.api.openapi import file_responses
from app.api.pagination import Page, PageParamsDep
from app.api.sites import file_response, read_limited
from app.api.types import MultilineText, SafeDate, Text, TextQuery
from app.domain.clusters import AgreementState, MemberRole
from app.services import clusters
from app.services.clusters import FollowUp

router = APIRouter(tags=["clusters"])


class ClusterFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text | None = Field(default=None, max_length=200)
    description: MultilineText | None = None
    industry_codes: list[Text] | None = None
    founded_on: SafeDate | None = None
    leader_contact_id: uuid.UUID | None = Field(default=None, description="A contact person")
    leading_organization_id: uuid.UUID | None = None
    coordinator_id: uuid.UUID | None = Field(
        default=None, description="Staff coordinator who gets the reminders; default: you"
    )


class ClusterIn(ClusterFields):
    name: Text = Field(max_length=200)
    industry_codes: list[Text]


class ClusterOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    industry_codes: list[str]
    founded_on: date | None
    leader_contact_id: uuid.UUID | None
    leading_organization_id: uuid.UUID | None
    coordinator_id: uuid.UUID | None
    members: int
    leads: int


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organization_id: uuid.UUID
    role: MemberRole
    joined_on: SafeDate


class MemberChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: MemberRole | None = None
    joined_on: SafeDate | None = None
    left_on: SafeDate | None = None


class MemberOut(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    role: str
    joined_on: date
    left_on: date | None


class AgreementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party_organization_id: uuid.UUID
    title: Text = Field(max_length=200)
    signed_on: SafeDate
    valid_until: SafeDate | None = None


class AgreementChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Text | None = Field(default=None, max_length=200)
    signed_on: SafeDate | None = None
    valid_until: SafeDate | None = None


class AgreementOut(BaseModel):
    id: uuid.UUID
    party_organization_id: uuid.UUID
    party_name: str
    title: str
    signed_on: date
    valid_until: date | None
    state: AgreementState
    expiring: bool = Field(description="Ends within the warning window (setting)")
    document_filename: str | None
    document_size_bytes: int | None


class FollowUpIn(BaseModel):
    """A task on a lead of the cluster or on a member organisation (exactly one)."""

    model_config = ConfigDict(extra="forbid")
    subject: Text = Field(max_length=200)
    due_on: SafeDate
    lead_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = Field(default=None, description="Default: you")
    body: MultilineText | None = None

    def follow_up(self) -> FollowUp:
        return FollowUp(**self.model_dump())


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    held_on: SafeDate
    title: Text = Field(max_length=200)
    minutes: MultilineText | None = None
    decisions: MultilineText | None = None
    attendee_contact_ids: list[uuid.UUID] = Field(default_factory=list)
    attendee_user_ids: list[uuid.UUID] = Field(default_factory=list)
    follow_ups: list[FollowUpIn] = Field(default_factory=list)


class MeetingChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    held_on: SafeDate | None = None
    title: Text | None = Field(default=None, max_length=200)
    minutes: MultilineText | None = None
    decisions: MultilineText | None = None


class MeetingOut(BaseModel):
    id: uuid.UUID
    held_on: date
    title: str
    minutes: str | None
    decisions: str | None
    attendees: list[str]
    follow_ups: list[ActivityOut]


class PipelineLeadOut(BaseModel):
    id: uuid.UUID
    code_name: str
    title: str = Field(description="The code name where you have no need-to-know")
    organization_name: str | None
    stage_code: str
    capex_eur: int | None
    probability: int | None
    weighted_value_eur: int


class PipelineTotalsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    leads: int
    open_leads: int
    capex_eur: int = Field(description="Estimated capex of the open leads")
    weighted_value_eur: int = Field(description="Probability-weighted capex of the open leads")
    landed_leads: int


class PipelineOut(BaseModel):
    leads: list[PipelineLeadOut]
    totals: PipelineTotalsOut


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cluster_id: uuid.UUID = Field(description="The other cluster")
    note: MultilineText | None = Field(default=None, max_length=2000)


class LinkOut(BaseModel):
    id: uuid.UUID
    cluster_id: uuid.UUID
    cluster_name: str
    note: str | None
    created_at: datetime


class LeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lead_id: uuid.UUID


class ClusterDetailOut(ClusterOut):
    members_list: list[MemberOut]
    agreements: list[AgreementOut]
    recent_meetings: list[MeetingOut]
    open_tasks: list[ActivityOut]
    pipeline: PipelineOut
    links: list[LinkOut]


def _cluster_out(row: clusters.ClusterRow) -> ClusterOut:
    c = row.cluster
    return ClusterOut(
        id=c.id,
        name=c.name,
        description=c.description,
        industry_codes=row.industry_codes,
        founded_on=c.founded_on,
        leader_contact_id=c.leader_contact_id,
        leading_organization_id=c.leading_organization_id,
        coordinator_id=c.coordinator_id,
        members=row.members,
        leads=row.leads,
    )


def _member_out(view: clusters.MemberView) -> MemberOut:
    m = view.member
    return MemberOut(
        id=m.id,
        organization_id=m.organization_id,
        organization_name=view.organization_name,
        role=m.role,
        joined_on=m.joined_on,
        left_on=m.left_on,
    )


def _agreement_out(view: clusters.AgreementView) -> AgreementOut:
    a = view.agreement
    return AgreementOut(
        id=a.id,
        party_organization_id=a.party_organization_id,
        party_name=view.party_name,
        title=a.title,
        signed_on=a.signed_on,
        valid_until=a.valid_until,
        state=view.state,
        expiring=view.state is AgreementState.EXPIRING,
        document_filename=a.document_filename,
        document_size_bytes=a.document_size_bytes,
    )


def _meeting_out(view: clusters.MeetingView) -> MeetingOut:
    m = view.meeting
    return MeetingOut(
        id=m.id,
        held_on=m.held_on,
        title=m.title,
        minutes=m.minutes,
        decisions=m.decisions,
        attendees=view.attendees,
        follow_ups=[ActivityOut.model_validate(a) for a in view.follow_ups],
    )


def _pipeline_out(pipeline: clusters.ClusterPipeline) -> PipelineOut:
    return PipelineOut(
        leads=[
            PipelineLeadOut(
                id=r.lead.id,
                code_name=r.lead.code_name,
                title=r.lead.title if r.need_to_know else r.lead.code_name,
                organization_name=r.organization_name if r.need_to_know else None,
                stage_code=r.lead.stage_code,
                capex_eur=r.lead.capex_eur,
                probability=r.probability,
                weighted_value_eur=r.weighted_value_eur,
            )
            for r in pipeline.rows
        ],
        totals=PipelineTotalsOut.model_validate(pipeline.totals),
    )


def _link_out(view: clusters.LinkView) -> LinkOut:
    return LinkOut(
        id=view.link.id,
        cluster_id=view.other.id,
        cluster_name=view.other.name,
        note=view.link.note,
        created_at=view.link.created_at,
    )


def _values(body: BaseModel, *, creating: bool) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude_unset=not creating)


def _ids(body: BaseModel, names: tuple[str, ...], *, creating: bool) -> dict[str, Any]:
    values = _values(body, creating=creating)
    for name in names:
        if values.get(name) is not None:
            values[name] = uuid.UUID(values[name])
    return values


_PEOPLE = ("leader_contact_id", "leading_organization_id", "coordinator_id")


@router.get("/clusters", response_model=Page[ClusterOut])
def list_clusters(
    db: DbSession,
    actor: ApiActor,
    page: PageParamsDep,
    q: TextQuery | None = None,
    industry: TextQuery | None = None,
) -> Page[ClusterOut]:
    rows, total = clusters.list_clusters(
        db, actor, q=q, industry=industry, limit=page.limit, offset=page.offset
    )
    return Page[ClusterOut](
        items=[_cluster_out(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


def _row(db: DbSession, actor: ApiActor, cluster_id: uuid.UUID) -> ClusterOut:
    return _cluster_out(clusters.cluster_row(db, actor, cluster_id))


@router.post("/clusters", response_model=ClusterOut, status_code=status.HTTP_201_CREATED)
def create_cluster(body: ClusterIn, db: DbSession, actor: ApiActor) -> ClusterOut:
    cluster = clusters.create_cluster(db, actor, _ids(body, _PEOPLE, creating=True))
    return _row(db, actor, cluster.id)


@router.get("/clusters/{cluster_id}", response_model=ClusterDetailOut)
def get_cluster(
    cluster_id: uuid.UUID, db: DbSession, actor: ApiActor, settings: AppSettings
) -> ClusterDetailOut:
    """The cluster page: members, agreements (expiring flagged), pipeline, recent
    meetings, open follow-up tasks and links to other clusters."""
    view = clusters.cluster_page(db, actor, cluster_id, settings)
    return ClusterDetailOut(
        **_row(db, actor, cluster_id).model_dump(),
        members_list=[_member_out(m) for m in view.members],
        agreements=[_agreement_out(a) for a in view.agreements],
        recent_meetings=[_meeting_out(m) for m in view.meetings],
        open_tasks=[ActivityOut.model_validate(a) for a in view.open_tasks],
        pipeline=_pipeline_out(view.pipeline),
        links=[_link_out(link) for link in view.links],
    )


@router.patch("/clusters/{cluster_id}", response_model=ClusterOut)
def update_cluster(
    cluster_id: uuid.UUID, body: ClusterFields, db: DbSession, actor: ApiActor
) -> ClusterOut:
    clusters.update_cluster(db, actor, cluster_id, _ids(body, _PEOPLE, creating=False))
    return _row(db, actor, cluster_id)


@router.get("/clusters/{cluster_id}/members", response_model=list[MemberOut])
def list_members(cluster_id: uuid.UUID, db: DbSession, actor: ApiActor) -> list[MemberOut]:
    return [_member_out(m) for m in clusters.members(db, actor, cluster_id)]


@router.post(
    "/clusters/{cluster_id}/members", response_model=MemberOut, status_code=status.HTTP_201_CREATED
)
def add_member(cluster_id: uuid.UUID, body: MemberIn, db: DbSession, actor: ApiActor) -> MemberOut:
    member = clusters.add_member(
        db, actor, cluster_id, body.organization_id, _values(body, creating=True)
    )
    return next(
        _member_out(m) for m in clusters.members(db, actor, cluster_id) if m.member.id == member.id
    )


@router.patch("/clusters/{cluster_id}/members/{member_id}", response_model=MemberOut)
def update_member(
    cluster_id: uuid.UUID, member_id: uuid.UUID, body: MemberChanges, db: DbSession, actor: ApiActor
) -> MemberOut:
    clusters.update_member(db, actor, cluster_id, member_id, _values(body, creating=False))
    return next(
        _member_out(m) for m in clusters.members(db, actor, cluster_id) if m.member.id == member_id
    )


@router.delete("/clusters/{cluster_id}/members/{member_id}", status_code=204)
def remove_member(
    cluster_id: uuid.UUID, member_id: uuid.UUID, db: DbSession, actor: ApiActor
) -> Response:
    clusters.remove_member(db, actor, cluster_id, member_id)
    return Response(status_code=204)


@router.get("/clusters/{cluster_id}/agreements", response_model=list[AgreementOut])
def list_agreements(
    cluster_id: uuid.UUID, db: DbSession, actor: ApiActor, settings: AppSettings
) -> list[AgreementOut]:
    return [_agreement_out(a) for a in clusters.agreements(db, actor, cluster_id, settings)]


def _agreement(
    db: DbSession,
    actor: ApiActor,
    settings: AppSettings,
    cluster_id: uuid.UUID,
    agreement_id: uuid.UUID,
) -> AgreementOut:
    return next(
        _agreement_out(a)
        for a in clusters.agreements(db, actor, cluster_id, settings)
        if a.agreement.id == agreement_id
    )


@router.post(
    "/clusters/{cluster_id}/agreements",
    response_model=AgreementOut,
    status_code=status.HTTP_201_CREATED,
)
def add_agreement(
    cluster_id: uuid.UUID,
    body: AgreementIn,
    db: DbSession,
    actor: ApiActor,
    settings: AppSettings,
) -> AgreementOut:
    agreement = clusters.add_agreement(
        db, actor, cluster_id, body.party_organization_id, _values(body, creating=True)
    )
    return _agreement(db, actor, settings, cluster_id, agreement.id)


@router.patch("/clusters/{cluster_id}/agreements/{agreement_id}", response_model=AgreementOut)
def update_agreement(
    cluster_id: uuid.UUID,
    agreement_id: uuid.UUID,
    body: AgreementChanges,
    db: DbSession,
    actor: ApiActor,
    settings: AppSettings,
) -> AgreementOut:
    """Renew by moving `valid_until`: the expiry reminder is then sent again in time."""
    clusters.update_agreement(db, actor, cluster_id, agreement_id, _values(body, creating=False))
    return _agreement(db, actor, settings, cluster_id, agreement_id)


@router.put(
    "/clusters/{cluster_id}/agreements/{agreement_id}/document", response_model=AgreementOut
)
async def upload_agreement_document(
    cluster_id: uuid.UUID,
    agreement_id: uuid.UUID,
    db: DbSession,
    actor: ApiActor,
    settings: AppSettings,
    file: Annotated[UploadFile, File(description="The signed agreement as a PDF")],
) -> AgreementOut:
    data = await read_limited(file, clusters.DOCUMENT_MAX_BYTES)
    clusters.attach_document(
        db,
        actor,
        settings,
        cluster_id,
        agreement_id,
        filename=file.filename or "agreement.pdf",
        data=data,
    )
    return _agreement(db, actor, settings, cluster_id, agreement_id)


@router.get(
    "/clusters/{cluster_id}/agreements/{agreement_id}/document",
    response_class=Response,
    responses=file_responses("application/pdf", description="The signed agreement"),
)
def agreement_document(
    cluster_id: uuid.UUID,
    agreement_id: uuid.UUID,
    db: DbSession,
    actor: ApiActor,
    settings: AppSettings,
) -> Response:
    agreement, data = clusters.agreement_document(db, actor, settings, cluster_id, agreement_id)
    return file_response(
        data,
        agreement.document_content_type or "application/pdf",
        agreement.document_filename or "agreement.pdf",
    )


@router.get("/clusters/{cluster_id}/meetings", response_model=Page[MeetingOut])
def list_meetings(
    cluster_id: uuid.UUID, db: DbSession, actor: ApiActor, page: PageParamsDep
) -> Page[MeetingOut]:
    rows, total = clusters.meetings(db, actor, cluster_id, limit=page.limit, offset=page.offset)
    return Page[MeetingOut](
        items=[_meeting_out(m) for m in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "/clusters/{cluster_id}/meetings",
    response_model=MeetingOut,
    status_code=status.HTTP_201_CREATED,
)
def add_meeting(
    cluster_id: uuid.UUID, body: MeetingIn, db: DbSession, actor: ApiActor
) -> MeetingOut:
    """A meeting with attendees, minutes, decisions and follow-up tasks, saved whole."""
    view = clusters.add_meeting(
        db,
        actor,
        cluster_id,
        body.model_dump(
            mode="json", exclude={"attendee_contact_ids", "attendee_user_ids", "follow_ups"}
        ),
        contact_ids=body.attendee_contact_ids,
        user_ids=body.attendee_user_ids,
        follow_ups=[f.follow_up() for f in body.follow_ups],
    )
    return _meeting_out(view)


@router.patch("/clusters/{cluster_id}/meetings/{meeting_id}", response_model=MeetingOut)
def update_meeting(
    cluster_id: uuid.UUID,
    meeting_id: uuid.UUID,
    body: MeetingChanges,
    db: DbSession,
    actor: ApiActor,
) -> MeetingOut:
    clusters.update_meeting(db, actor, cluster_id, meeting_id, _values(body, creating=False))
    return _meeting_out(clusters.meeting_view(db, actor, cluster_id, meeting_id))


@router.post(
    "/clusters/{cluster_id}/meetings/{meeting_id}/follow-ups",
    response_model=ActivityOut,
    status_code=status.HTTP_201_CREATED,
)
def add_meeting_follow_up(
    cluster_id: uuid.UUID,
    meeting_id: uuid.UUID,
    body: FollowUpIn,
    db: DbSession,
    actor: ApiActor,
) -> ActivityOut:
    task = clusters.add_meeting_follow_up(db, actor, cluster_id, meeting_id, body.follow_up())
    return ActivityOut.model_validate(task)


@router.get("/clusters/{cluster_id}/pipeline", response_model=PipelineOut)
def cluster_pipeline(cluster_id: uuid.UUID, db: DbSession, actor: ApiActor) -> PipelineOut:
    """The cluster's leads you may see, valued with the pipeline's weighting rule."""
    return _pipeline_out(clusters.pipeline(db, actor, cluster_id))


@router.post("/clusters/{cluster_id}/leads", status_code=204)
def add_lead(cluster_id: uuid.UUID, body: LeadIn, db: DbSession, actor: ApiActor) -> Response:
    clusters.add_lead(db, actor, cluster_id, body.lead_id)
    return Response(status_code=204)


@router.delete("/clusters/{cluster_id}/leads/{lead_id}", status_code=204)
def remove_lead(
    cluster_id: uuid.UUID, lead_id: uuid.UUID, db: DbSession, actor: ApiActor
) -> Response:
    clusters.remove_lead(db, actor, cluster_id, lead_id)
    return Response(status_code=204)


@router.get("/clusters/{cluster_id}/links", response_model=list[LinkOut])
def list_links(cluster_id: uuid.UUID, db: DbSession, actor: ApiActor) -> list[LinkOut]:
    return [_link_out(link) for link in clusters.links(db, actor, cluster_id)]


@router.post(
    "/clusters/{cluster_id}/links", response_model=LinkOut, status_code=status.HTTP_201_CREATED
)
def link_clusters(cluster_id: uuid.UUID, body: LinkIn, db: DbSession, actor: ApiActor) -> LinkOut:
    """Cross-industry cooperation; shown on both clusters' pages."""
    link = clusters.link_clusters(db, actor, cluster_id, body.cluster_id, body.note)
    return next(_link_out(v) for v in clusters.links(db, actor, cluster_id) if v.link.id == link.id)


@router.delete("/clusters/{cluster_id}/links/{link_id}", status_code=204)
def unlink_clusters(
    cluster_id: uuid.UUID, link_id: uuid.UUID, db: DbSession, actor: ApiActor
) -> Response:
    clusters.unlink_clusters(db, actor, cluster_id, link_id)
    return Response(status_code=204)
