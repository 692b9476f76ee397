"""The ASGI application: JSON API under /api/v1, the staff UI, probes and static files."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import app.db.audit  # noqa: F401  (installs the audit-log writer)
from app.api import (
    activities,
    aftercare,
    audit,
    clusters,
    docs,
    events,
    health,
    imports,
    intake,
    leads,
    matching,
    notifications,
    organizations,
    packages,
    privacy,
    reference,
    referrals,
    reports,
    sites,
    syndication,
    targets,
    users,
)
from app.api.errors import install_problem_handlers, refusal_renderer
from app.api.openapi import install_openapi
from app.db.session import make_engine, make_reading_session_factory, make_session_factory
from app.edge import EdgeGuard, HeadAsGet
from app.observability import RequestObserver
from app.settings import Settings, get_settings
from app.web import activities as web_activities
from app.web import aftercare as web_aftercare
from app.web import assets as web_assets
from app.web import auth as web_auth
from app.web import branding as web_branding
from app.web import clusters as web_clusters
from app.web import compare as web_compare
from app.web import events as web_events
from app.web import fact_sheets as web_fact_sheets
from app.web import feeds as web_feeds
from app.web import history as web_history
from app.web import home as web_home
from app.web import imports as web_imports
from app.web import intake as web_intake
from app.web import leads as web_leads
from app.web import notifications as web_notifications
from app.web import ogc as web_ogc
from app.web import organizations as web_organizations
from app.web import portal as web_portal
from app.web import privacy as web_privacy
from app.web import reference as web_reference
from app.web import referrals as web_referrals
from app.web import region as web_region
from app.web import reports as web_reports
from app.web import sites as web_sites
from app.web import syndication as web_syndication
from app.web import targets as web_targets
from app.web import users as web_users
from app.web.session import LoginRequired
from app.web.templating import error_page
from app.web.templating import templates as staff_templates

# Pages set their own policy when they must differ (the embeddable listing, /docs).
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)


class SecurityHeaders:
    """Adds security headers to every response that does not set its own."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                defaults = {
                    b"content-security-policy": DEFAULT_CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"strict-origin-when-cross-origin",
                    b"x-frame-options": b"DENY",
                    b"permissions-policy": b"geolocation=(), camera=(), microphone=()",
                }
                if self.hsts:
                    defaults[b"strict-transport-security"] = b"max-age=31536000; includeSubDomains"
                if b"content-security-policy" in present:
                    defaults.pop(b"x-frame-options")
                headers.extend((k, v) for k, v in defaults.items() if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    for module in (
        users,
        reference,
        sites,
        packages,
        matching,
        audit,
        leads,
        organizations,
        activities,
        imports,
        intake,
        targets,
        reports,
        privacy,
        clusters,
        events,
        syndication,
        notifications,
        aftercare,
        referrals,
    ):
        router.include_router(module.router)
    return router


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        # Region-neutral: the document is built with no database at hand, so it names
        # no region (the pages a region's people and investors read do).
        title="Investment promotion",
        version="0.1.0",
        description="Investment-promotion CRM, lead pipeline and site portal of a regional "
        "council.",
        # Served by app/api/docs.py from vendored assets instead of a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    # Templates are read again when their files change only while developing: elsewhere
    # the check costs a stat() of every template, import and include on every render.
    for environment in (web_portal.templates.env, staff_templates.env):
        environment.auto_reload = settings.environment == "development"
    install_openapi(app)
    app.state.engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
    app.state.session_factory = make_session_factory(app.state.engine)
    app.state.reading_session_factory = make_reading_session_factory(app.state.engine)

    html_error_page = web_portal.error_page_for(error_page)
    install_problem_handlers(app, html_error_page)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={exc.next_path}", status_code=303)

    # The public portal first: routes are matched in order, and its pages that miss the
    # render cache are the most requested (no path of it is any other router's; see
    # tests/portal/test_routes.py).
    app.include_router(web_portal.router)
    app.include_router(web_compare.router)
    app.include_router(health.router)
    app.include_router(docs.router)
    app.include_router(web_assets.router)
    app.include_router(web_branding.router)
    app.include_router(api_router())
    app.include_router(web_auth.router)
    app.include_router(web_home.router)
    app.include_router(web_leads.router)
    app.include_router(web_activities.router)
    app.include_router(web_organizations.router)
    app.include_router(web_privacy.router)
    app.include_router(web_sites.router)
    app.include_router(web_reports.router)
    app.include_router(web_targets.router)
    app.include_router(web_users.router)
    app.include_router(web_notifications.router)
    app.include_router(web_clusters.router)
    app.include_router(web_aftercare.router)
    app.include_router(web_events.router)
    app.include_router(web_fact_sheets.router)
    app.include_router(web_syndication.router)
    app.include_router(web_feeds.router)
    # Described by its own OpenAPI document (/ogc/api), not the staff API's.
    app.include_router(web_ogc.router, include_in_schema=False)
    app.include_router(web_history.router)
    app.include_router(web_imports.router)
    app.include_router(web_intake.router)
    app.include_router(web_referrals.router)
    app.include_router(web_reference.router)
    app.include_router(web_region.router)
    app.mount("/static", web_assets.static_files(), name="static")
    app.add_middleware(web_portal.CachedPages, settings=settings)
    app.add_middleware(web_portal.CompressedPages)
    # Outside the page cache, inside the security headers: refusals carry those too.
    app.add_middleware(EdgeGuard, render=refusal_renderer(html_error_page))
    app.add_middleware(SecurityHeaders, hsts=settings.is_production)
    app.add_middleware(HeadAsGet)
    # Every answer, refusals included, carries the request id and is counted.
    app.add_middleware(RequestObserver)
    if settings.trusted_proxies:
        # Outermost, so everything inside (the request log, rate limits, login
        # throttling, /metrics' loopback check) sees the client's address rather than
        # the proxy's.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    return app
