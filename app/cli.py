"""The `invest-kainuu` command."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from app.db.session import make_engine, make_session_factory, session_scope
from app.domain.access import SYSTEM_ACTOR, Role
from app.domain.errors import DomainError
from app.i18n import LANGUAGES
from app.settings import get_settings


def _session_factory() -> sessionmaker[Session]:
    return make_session_factory(make_engine(get_settings().database_url))


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.logs import logging_config

    # Checked here, so a bad setting is one line rather than a traceback in each worker.
    settings = get_settings()
    # The application writes the access lines itself (app.observability), with the
    # request id and the route; uvicorn's own would repeat them without.
    uvicorn.run(
        "app.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        # The application reads forwarded headers itself, from TRUSTED_PROXIES only.
        proxy_headers=False,
        log_config=logging_config(settings.log_format),
        access_log=False,
    )
    return 0


def cmd_migrate(_args: argparse.Namespace) -> int:
    from app.services.reference import prepare_database

    added = prepare_database(make_engine(get_settings().database_url))
    print(f"Database at head; {added} reference rows added.")
    return 0


def cmd_init_region(args: argparse.Namespace) -> int:
    from app.services.region import init_region

    with session_scope(_session_factory()) as db:
        changes = init_region(db, Path(args.file))
    print(changes.summary())
    return 0


def cmd_demo_data(_args: argparse.Namespace) -> int:
    from app.demo import load_demo_data

    settings = get_settings()
    with session_scope(_session_factory()) as db:
        report = load_demo_data(db, settings)
    print(report.summary())
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from app.services import organizations, users

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    if password is None and sys.stdin.isatty():
        password = getpass.getpass("Password (empty: none, API tokens only): ") or None
    with session_scope(_session_factory()) as db:
        organization = (
            organizations.find_for_binding(db, args.organization) if args.organization else None
        )
        user = users.create_user(
            db,
            SYSTEM_ACTOR,
            email=args.email,
            full_name=args.name or args.email,
            role=args.role,
            password=password,
            municipality_code=args.municipality,
            organization_id=organization.id if organization else None,
            language=args.language,
        )
        bound = f" of {organization.name}" if organization else ""
        print(f"Created {user.role} {user.email}{bound}")
    return 0


def cmd_create_token(args: argparse.Namespace) -> int:
    from app.services import auth, users

    with session_scope(_session_factory()) as db:
        issued = auth.issue_token(db, users.get_user_by_email(db, args.email), args.name)
    print(issued.token)
    print("Store it now: only its hash is kept, it cannot be shown again.", file=sys.stderr)
    return 0


def cmd_scheduler(_args: argparse.Namespace) -> int:
    from app.scheduler import run_scheduler

    run_scheduler(get_settings())
    return 0


def cmd_syndication_worker(_args: argparse.Namespace) -> int:
    from app.logs import configure_logging
    from app.services.syndication import run_worker

    settings = get_settings()
    configure_logging(settings.log_format)
    run_worker(make_engine(settings.database_url), settings)
    return 0


def cmd_rotate_secrets(_args: argparse.Namespace) -> int:
    from app.services.secrets import rotate_secrets

    settings = get_settings()
    with session_scope(_session_factory()) as db:
        report = rotate_secrets(db, settings)
    print(report.summary())
    return 1 if report.unreadable else 0


def cmd_backup(args: argparse.Namespace) -> int:
    from app.services.backup import create_backup

    print(create_backup(get_settings(), Path(args.folder)).summary())
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from app.services.backup import restore_backup

    print(restore_backup(get_settings(), Path(args.folder), force=args.force).summary())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="invest-kainuu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web service (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    sub.add_parser(
        "migrate", help="upgrade the database to the latest schema and seed reference data"
    ).set_defaults(func=cmd_migrate)
    init_region = sub.add_parser(
        "init-region",
        help="check a region file (app/regions/<slug>/region.yaml) and store it: the "
        "region, its municipalities, industries, targets, reference points and facts",
    )
    init_region.add_argument("file")
    init_region.set_defaults(func=cmd_init_region)
    sub.add_parser("demo-data", help="load the demo data set (idempotent)").set_defaults(
        func=cmd_demo_data
    )

    create_user = sub.add_parser("create-user", help="create a staff or partner account")
    create_user.add_argument("email")
    create_user.add_argument("--role", required=True, choices=[r.value for r in Role])
    create_user.add_argument(
        "--municipality", help="Statistics Finland code, for municipal contacts"
    )
    create_user.add_argument(
        "--organization", help="the organisation's id or exact name, for partners"
    )
    create_user.add_argument("--name", help="full name (default: the e-mail)")
    create_user.add_argument("--language", default="fi", choices=LANGUAGES)
    create_user.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create_user.set_defaults(func=cmd_create_user)

    token = sub.add_parser("create-token", help="issue an API token for a user (printed once)")
    token.add_argument("email")
    token.add_argument("--name", default="cli")
    token.set_defaults(func=cmd_create_token)

    sub.add_parser(
        "scheduler",
        help="run the scheduled jobs (one process per deployment "
        "is enough; extra ones are harmless)",
    ).set_defaults(func=cmd_scheduler)
    sub.add_parser(
        "syndication-worker",
        help="deliver syndication pushes only (the scheduler runs one too; "
        "any number may run side by side)",
    ).set_defaults(func=cmd_syndication_worker)
    sub.add_parser(
        "rotate-secrets",
        help="re-encrypt every stored secret under the current SECRET_KEY (after a key "
        "change, with the former key in SECRET_KEY_PREVIOUS)",
    ).set_defaults(func=cmd_rotate_secrets)
    backup = sub.add_parser(
        "backup",
        help="write the database and every stored file, with a manifest of checksums, "
        "into a new folder",
    )
    backup.add_argument("folder")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser(
        "restore",
        help="check a backup's checksums, then restore it into an empty database and storage",
    )
    restore.add_argument("folder")
    restore.add_argument(
        "--force", action="store_true", help="replace a database and storage that are not empty"
    )
    restore.set_defaults(func=cmd_restore)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ValidationError as exc:
        # A bad setting (a weak SECRET_KEY, say): its message is all the operator needs.
        for error in exc.errors():
            print(f"error: {error['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    except DomainError as exc:
        details = getattr(exc, "errors", [])
        print(f"error: {exc.detail}", file=sys.stderr)
        for err in details:
            print(f"  {err.field}: {err.reason}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
