"""The `compound` command: run the server, migrate, manage users and tokens, load demo data."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import secrets
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from pydantic import ValidationError
from pydantic_settings import SettingsError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from compound.platform import migrations
from compound.platform.auth import service as auth
from compound.platform.auth.actor import Actor
from compound.platform.auth.models import ApiToken, User
from compound.platform.config import Settings, get_settings, settings_problem
from compound.platform.database import (
    Database,
    ensure_schema_current,
    resolve_database_url,
)
from compound.platform.errors import CompoundError, Required, ValidationFailed
from compound.platform.logging import configure_logging
from compound.platform.modules import check_module_settings, installed_modules
from compound.platform.redaction import redact_url

if TYPE_CHECKING:
    from compound.agents.runtime.evaluation import EvalReport, RegisteredCheck, SplitReports

T = TypeVar("T")
DEMO_ADMIN_EMAIL = "admin@compound.localhost"
DEMO_TOKEN_NAME = "compound up (demo)"  # noqa: S105 (a label, not a secret)
PASSWORD_VARIABLE = "COMPOUND_PASSWORD"  # noqa: S105 (the variable's name)
CLI_ACTOR = Actor.system("cli")
"""Who the audit log names for what the `compound` command changes: whoever may run it on
this machine may already read the database, so it acts with every right, and is audited."""


def _say(message: str) -> None:
    print(message, flush=True)


async def _with_session(
    settings: Settings,
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    check_schema: bool = True,
) -> T:
    database = Database.connect(resolve_database_url(settings), pool_size=2)
    try:
        if check_schema:
            await ensure_schema_current(database, settings)
        async with database.session() as session:
            return await work(session)
    finally:
        await database.dispose()


def _db_upgrade(settings: Settings, _: argparse.Namespace) -> None:
    url = resolve_database_url(settings)
    migrations.upgrade(url, settings=settings)
    applied = migrations.applied_heads(migrations.current_revisions(url), settings)
    _say(f"database is at migration {migrations.describe_heads(applied)}")


def _db_current(settings: Settings, _: argparse.Namespace) -> int:
    """Print the database's revisions; exit 1 unless they are the code's (an init
    container waits on this before the roles start)."""
    url = resolve_database_url(settings)
    current = migrations.applied_heads(migrations.current_revisions(url), settings)
    expected = migrations.head_revisions(settings)
    _say(f"database is at migration {migrations.describe_heads(current)}")
    if current != expected:
        _say(f"the code needs {migrations.describe_heads(expected)}: run `compound db upgrade`")
        return 1
    return 0


def _new_password(args: argparse.Namespace) -> str | None:
    """The new user's password, never from the command line (`ps` shows it to everyone):
    the first line of stdin with --password-stdin, else COMPOUND_PASSWORD, else a prompt on a
    terminal (empty: none). No terminal and neither: an API-only user, without a password."""
    if args.password is not None:
        raise ValidationFailed(
            "--password is not accepted: every user of this machine can read a command line "
            f"(ps); use --password-stdin, {PASSWORD_VARIABLE} or the prompt",
            field="password",
        )
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise Required("--password-stdin read no password from stdin", field="password")
        return password
    if os.environ.get(PASSWORD_VARIABLE):
        return os.environ[PASSWORD_VARIABLE]
    if not sys.stdin.isatty():
        return None
    password = getpass.getpass("Password (empty: an API-only user without one): ")
    if password and getpass.getpass("Password again: ") != password:
        raise ValidationFailed("the two passwords differ; nothing was created", field="password")
    return password or None


def _user_create(settings: Settings, args: argparse.Namespace) -> None:
    password = _new_password(args)

    async def create(session: AsyncSession) -> User:
        return await auth.create_user(
            session,
            CLI_ACTOR,
            email=args.email,
            password=password,
            role=args.role,
            name=args.name,
        )

    user = asyncio.run(_with_session(settings, create))
    _say(f"created {user.role} {user.email} (id {user.id})")


def _token_create(settings: Settings, args: argparse.Namespace) -> None:
    async def create(session: AsyncSession) -> tuple[ApiToken, str]:
        return await auth.create_token(
            session,
            CLI_ACTOR,
            user_email=args.user,
            scopes=args.scopes.split(","),
            name=args.name,
            mail_provider=args.mail_provider,
        )

    token, secret = asyncio.run(_with_session(settings, create))
    _say(
        f"token {token.prefix}… (id {token.id}) for {args.user} "
        f"with scopes {','.join(token.scopes)}"
    )
    if token.mail_provider:
        _say(f"mail it posts is believed only as {token.mail_provider}'s Authentication-Results")
    _say("store it now: it is shown once and only its hash is kept")
    _say(secret)


def _token_revoke(settings: Settings, args: argparse.Namespace) -> None:
    try:
        token_id = uuid.UUID(args.id.strip())
    except ValueError:
        raise ValidationFailed(
            f"{args.id[:40]!r} is not a token id (`token create` prints it)", field="id"
        ) from None

    async def revoke(session: AsyncSession) -> ApiToken:
        return await auth.revoke_token(session, CLI_ACTOR, token_id)

    token = asyncio.run(_with_session(settings, revoke))
    _say(f"revoked token {token.prefix}… (id {token.id})")


def _seed(settings: Settings, args: argparse.Namespace) -> None:
    from compound.platform.demo_data import seed_demo_data

    async def seed(session: AsyncSession) -> str:
        counts = await seed_demo_data(
            session,
            companies=args.companies,
            people=args.people,
            seed=args.seed,
            progress=_say,
        )
        return ", ".join(f"{count} {name}" for name, count in counts.items())

    _say(f"seeded: {asyncio.run(_with_session(settings, seed))}")


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    from compound.web.server import serve

    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.web_workers
    url = resolve_database_url(settings)  # starts the embedded server once, for all workers
    asyncio.run(_check_ready(url, settings))
    _say(f"Compound is serving on http://{host}:{port}  (GraphQL: http://{host}:{port}/graphql)")
    serve(host=host, port=port, workers=workers)


def _worker(settings: Settings, args: argparse.Namespace) -> None:
    from compound.platform.queue.worker import run_workers
    from compound.web.modules import actor_modules

    url = resolve_database_url(settings)  # one embedded server for every worker process
    asyncio.run(_check_ready(url, settings))
    processes = args.processes or settings.worker_processes
    threads = args.threads or settings.worker_threads
    _say(f"Compound worker: {processes} process(es) × {threads} thread(s)")
    _say(f"jobs from {_job_broker(settings)}")
    _say(f"agents run on {_agent_engines(settings)}")
    run_workers(
        processes=processes,
        threads=threads,
        modules=[*actor_modules(settings), *args.imports],
        queues=args.queues,
    )


def _smtp(settings: Settings, args: argparse.Namespace) -> None:
    from compound.platform.email.smtp_server import serve_smtp

    host = args.host or settings.smtp_host
    port = args.port or settings.smtp_port
    url = resolve_database_url(settings)
    asyncio.run(_check_ready(url, settings))
    serve_smtp(
        settings,
        url,
        host=host,
        port=port,
        on_listening=lambda: _say(
            f"Compound SMTP is listening on {host}:{port} (mail to {_mail_to(settings)})"
        ),
    )


def _smtp_sink(settings: Settings, args: argparse.Namespace) -> None:
    import threading

    from compound.platform.email.sink import start_sink

    host = args.host or settings.outbound_smtp_host
    port = args.port or settings.outbound_smtp_port
    folder = args.folder or settings.data_dir / "outbox"
    controller = start_sink(host, port, folder)
    _say(f"Compound SMTP sink on {host}:{port}: what is sent there is kept in {folder}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


def _local_relay(settings: Settings) -> bool:
    """The demo's outbound relay is our sink: only when the relay is on this machine."""
    return settings.outbound_smtp_host in ("127.0.0.1", "localhost", "::1")


def _mail_to(settings: Settings) -> str:
    return ", ".join(f"*@{domain}" for domain in settings.mail_domains)


def _eval(settings: Settings, args: argparse.Namespace) -> int:
    """Run golden cases; exit 1 when an agent scores below its floor."""
    from compound.agents.runtime import evaluation as evals
    from compound.agents.runtime.gateway import model_gateway
    from compound.agents.runtime.models import Engine
    from compound.web.modules import install_modules

    install_modules(settings, with_evals=True)
    gateway = model_gateway()
    if args.engine == "model" and not gateway.available:
        raise ValidationFailed(
            "--engine model needs a model endpoint: set COMPOUND_OPENAI_BASE_URL",
            field="engine",
        )
    engine = (
        Engine.MODEL
        if args.engine == "model" or (args.engine == "configured" and gateway.available)
        else Engine.OFFLINE
    )
    below = 0
    for suite in evals.suites(args.agent):
        reports = asyncio.run(evals.run_splits(suite, engine=engine, gateway=gateway))
        _say_reports(reports, verbose=args.verbose)
        below += not reports.passed
    checks = evals.database_checks(args.agent)
    if checks:
        below += asyncio.run(_database_checks(checks, settings, verbose=args.verbose))
    return 1 if below else 0


def _say_reports(reports: SplitReports, *, verbose: bool) -> None:
    """Dev and blind side by side; with --verbose, each split's misses first."""
    if verbose:
        for report in reports.reports():
            for result in report.results:
                if not result.passed:
                    _say(f"  miss [{report.split.value}] {result.name}: {result.detail}")
    _say(reports.summary())


async def _database_checks(
    checks: list[RegisteredCheck], settings: Settings, *, verbose: bool
) -> int:
    """Checks that need a database get throwaway embedded ones (one per split: each loads its
    own golden data), migrated, then removed."""
    import logging
    import tempfile

    from compound.agents.runtime.evaluation import Split, SplitReports
    from compound.platform.database import Database
    from compound.platform.embedded_postgres import start_embedded_postgres

    below = 0
    with tempfile.TemporaryDirectory(prefix="cpev-", dir="/tmp") as folder:
        # A scratch database: its "Running upgrade" lines would bury the scores.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        for registered in checks:
            by_split: dict[Split, EvalReport] = {}
            for split in registered.splits:
                name = f"compound_eval_{registered.name.replace('.', '_')}_{split.value}"
                url = start_embedded_postgres(
                    Path(folder) / "pgdata", database=name, delete_on_exit=True
                )
                await asyncio.to_thread(migrations.upgrade, url, settings=settings)
                database = Database.connect(url, pool_size=2)
                try:
                    by_split[split] = await registered.check(database, split)
                finally:
                    await database.dispose()
            reports = SplitReports(dev=by_split[Split.DEV], blind=by_split.get(Split.BLIND))
            _say_reports(reports, verbose=verbose)
            below += not reports.passed
    return below


def _agent_engines(settings: Settings) -> str:
    from compound.platform.llm.gateway import endpoint_configured

    if endpoint_configured(settings):
        base_url = settings.openai_base_url
        # The URL may carry a key (user:password@, ?api-key=): printed masked.
        endpoint = redact_url(base_url.get_secret_value()) if base_url else "the OpenAI API"
        return (
            f"models at {endpoint} "
            f"(fast: {settings.llm_model_fast}, "
            f"smart: {settings.llm_model_smart})"
        )
    return "offline engines (set COMPOUND_OPENAI_BASE_URL to use a model)"


def _job_broker(settings: Settings) -> str:
    if settings.broker_url:
        return f"Redis at {redact_url(settings.broker_url.get_secret_value())}"
    return "the job table in Postgres"


async def _check_ready(url: str, settings: Settings) -> None:
    database = Database.connect(url, pool_size=1)
    try:
        await ensure_schema_current(database, settings)
    finally:
        await database.dispose()


def write_private_file(path: Path, text: str) -> None:
    """Write a secret readable by this user only, from the first byte: created 0600 (never
    following a planted symlink), and an older file is made 0600 before it is rewritten."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(text)


async def _prepare_demo(session: AsyncSession, settings: Settings) -> tuple[str | None, str]:
    """Make sure the demo admin exists; give them a fresh API token (older demo tokens revoked)."""
    password: str | None = None
    admin = await session.scalar(select(User).where(col(User.email) == DEMO_ADMIN_EMAIL))
    if admin is None:
        password = secrets.token_urlsafe(12)
        await auth.create_user(
            session,
            CLI_ACTOR,
            email=DEMO_ADMIN_EMAIL,
            password=password,
            role="admin",
            name="Demo Admin",
        )
        write_private_file(
            settings.data_dir / "demo-admin.txt", f"{DEMO_ADMIN_EMAIL}\n{password}\n"
        )
    else:
        stale = await session.scalars(
            select(col(ApiToken.id))
            .where(col(ApiToken.user_id) == admin.id, col(ApiToken.name) == DEMO_TOKEN_NAME)
            .where(col(ApiToken.revoked_at).is_(None))
        )
        for token_id in list(stale):
            await auth.revoke_token(session, CLI_ACTOR, token_id)
    _, secret = await auth.create_token(
        session,
        CLI_ACTOR,
        user_email=DEMO_ADMIN_EMAIL,
        scopes=["read", "write", "ingest"],
        name=DEMO_TOKEN_NAME,
    )
    return password, secret


def _up(settings: Settings, args: argparse.Namespace) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _say(
        "database: "
        + (
            f"external, {redact_url(settings.database_url.get_secret_value())}"
            if settings.database_url
            else f"embedded Postgres in {settings.pgdata_dir}"
        )
    )
    url = resolve_database_url(settings)
    migrations.upgrade(url, settings=settings)
    password, token, queued = asyncio.run(
        _with_session(settings, lambda session: _prepare_up(session, settings, seed=args.seed))
    )
    _print_up_banner(settings, args, password=password, token=token, queued=queued)
    args.workers = None
    # The worker and the SMTP listener run beside the server; Ctrl-C reaches all of them
    # (one process group).
    beside = ["worker", "smtp", *(["smtp-sink"] if _local_relay(settings) else [])]
    children = [
        subprocess.Popen(  # noqa: S603 (our own interpreter and command names)
            [sys.executable, "-m", "compound.web.cli", command], env=os.environ.copy()
        )
        for command in beside
    ]
    try:
        _serve(settings, args)
    finally:
        _stop(children)


async def _prepare_up(
    session: AsyncSession, settings: Settings, *, seed: bool
) -> tuple[str | None, str, list[str]]:
    """Demo data on the first run, the demo admin and token; what demo work was queued."""
    from compound.platform.demo_data import database_is_empty, seed_demo_data
    from compound.web.modules import demos

    first_run = seed and await database_is_empty(session)
    if first_run:
        _say("loading demo data (first run only)…")
        await seed_demo_data(session, progress=_say)
        for demo in demos(settings):
            await demo.seed(session)
    password, token = await _prepare_demo(session, settings)
    queued: list[str] = []
    if first_run:
        # Real agent work for the worker started beside the server: the Inbox is not empty.
        admin = auth.actor_for_user(await auth.user_by_email(session, DEMO_ADMIN_EMAIL))
        for demo in demos(settings):
            if (work := await demo.work(session, admin)) is not None:
                queued.append(work)
    return password, token, queued


def _print_up_banner(
    settings: Settings,
    args: argparse.Namespace,
    *,
    password: str | None,
    token: str,
    queued: list[str],
) -> None:
    host = args.host or settings.host
    port = args.port or settings.port
    _say("")
    _say(f"  Compound:     http://{host}:{port}")
    _say(f"  GraphQL:      http://{host}:{port}/graphql")
    _say(f"  demo admin:   {DEMO_ADMIN_EMAIL}")
    if password:
        _say(f"  password:     {password}   (also in {settings.data_dir / 'demo-admin.txt'})")
    _say(f"  API token:    {token}")
    _say(
        f"  SMTP:         {settings.smtp_host}:{settings.smtp_port} (mail to {_mail_to(settings)})"
    )
    outbound = f"{settings.outbound_smtp_host}:{settings.outbound_smtp_port}"
    if _local_relay(settings):
        outbound += f" (the local sink: sent mail is kept in {settings.data_dir / 'outbox'})"
    _say(f"  outbound:     {outbound}")
    _say(f"  agents:       {_agent_engines(settings)}")
    if queued:
        _say(
            f"  demo work:    queued: {'; '.join(queued)}; what needs you "
            f"appears in the Inbox (http://{host}:{port}/inbox) in a few seconds"
        )
    _say("  Ctrl-C stops everything; `make up` again reuses the data.")
    _say("")


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="compound", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_process_commands(commands)
    _add_database_commands(commands)
    _add_account_commands(commands)
    _add_data_commands(commands)
    return parser


Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_process_commands(commands: Commands) -> None:
    """The long-running roles: up, serve, worker, smtp, smtp-sink."""
    up = commands.add_parser(
        "up", help="migrate, load demo data once, and serve (embedded defaults)"
    )
    up.add_argument("--host")
    up.add_argument("--port", type=int)
    up.add_argument("--no-seed", dest="seed", action="store_false", help="skip demo data")
    up.set_defaults(handler=_up)

    serve = commands.add_parser("serve", help="run the web server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers", type=int, help="server processes (default COMPOUND_WEB_WORKERS)"
    )
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser("worker", help="run background jobs")
    worker.add_argument("--processes", type=int, help="default COMPOUND_WORKER_PROCESSES")
    worker.add_argument("--threads", type=int, help="per process; default COMPOUND_WORKER_THREADS")
    worker.add_argument("--queue", dest="queues", action="append", default=[], help="only these")
    worker.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE",
        help="also load actors from MODULE (development)",
    )
    worker.set_defaults(handler=_worker)

    smtp = commands.add_parser(
        "smtp", help="receive mail for COMPOUND_MAIL_DOMAINS over SMTP (never relays)"
    )
    smtp.add_argument("--host", help="default COMPOUND_SMTP_HOST")
    smtp.add_argument("--port", type=int, help="default COMPOUND_SMTP_PORT")
    smtp.set_defaults(handler=_smtp)

    sink = commands.add_parser(
        "smtp-sink",
        help="a local outbound relay that keeps what it is sent (demo, tests)",
    )
    sink.add_argument("--host", help="default COMPOUND_OUTBOUND_SMTP_HOST")
    sink.add_argument("--port", type=int, help="default COMPOUND_OUTBOUND_SMTP_PORT")
    sink.add_argument("--folder", type=Path, help="default DATA_DIR/outbox")
    sink.set_defaults(handler=_smtp_sink)


def _add_database_commands(commands: Commands) -> None:
    database = commands.add_parser("db", help="database migrations")
    database_commands = database.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    database_commands.add_parser(
        "upgrade",
        help="migrate the substrate and every installed module to its newest revision",
    ).set_defaults(handler=_db_upgrade)
    database_commands.add_parser(
        "current",
        help="print the database's revisions; exit 1 unless they are the code's",
    ).set_defaults(handler=_db_current)


def _add_account_commands(commands: Commands) -> None:
    """Users and API tokens."""
    user = commands.add_parser("user", help="people who sign in")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    user_create = user_commands.add_parser("create", help="create a user")
    user_create.add_argument("--email", required=True)
    # Refused with a message: a command line is readable by every user of the machine.
    user_create.add_argument("--password", help=argparse.SUPPRESS)
    user_create.add_argument(
        "--password-stdin",
        action="store_true",
        help=f"read the password (at least 8 characters) from stdin's first line; otherwise "
        f"{PASSWORD_VARIABLE}, else a prompt on a terminal; none: an API-only user",
    )
    user_create.add_argument("--role", required=True, help="admin | member | viewer")
    user_create.add_argument("--name")
    user_create.set_defaults(handler=_user_create)

    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    token_create = token_commands.add_parser(
        "create", help="create a token; prints it once, on the last line"
    )
    token_create.add_argument("--user", required=True, help="the user's email")
    token_create.add_argument("--scopes", default="read", help="comma-separated: read,write,ingest")
    token_create.add_argument("--name")
    token_create.add_argument(
        "--mail-provider",
        metavar="AUTHSERV_ID",
        help="for an ingest token a mail provider holds: the server id its "
        "Authentication-Results headers carry (unset: its headers are not believed)",
    )
    token_create.set_defaults(handler=_token_create)
    token_revoke = token_commands.add_parser("revoke", help="revoke a token (audited)")
    token_revoke.add_argument("id", help="the token's id, as `token create` prints it")
    token_revoke.set_defaults(handler=_token_revoke)


def _add_data_commands(commands: Commands) -> None:
    """Golden-case evals and generated demo data."""
    evaluate = commands.add_parser(
        "eval",
        help="score agents on their golden cases (exit 1 below an agent's floor)",
    )
    evaluate.add_argument("agent", nargs="?", help="one agent; default: all")
    evaluate.add_argument(
        "--engine",
        choices=["configured", "offline", "model"],
        default="configured",
        help="configured: the model when COMPOUND_OPENAI_BASE_URL is set, else offline",
    )
    evaluate.add_argument("--verbose", "-v", action="store_true", help="list every miss")
    evaluate.set_defaults(handler=_eval)

    seed = commands.add_parser("seed", help="load generated demo companies, people, notes, tasks")
    seed.add_argument("--companies", type=int, default=200)
    seed.add_argument("--people", type=int, default=500)
    seed.add_argument("--seed", type=int, default=7, help="random seed: same seed, same data")
    seed.set_defaults(handler=_seed)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
        check_module_settings(installed_modules(settings))
    except (ValidationError, SettingsError) as error:
        print(f"error: {settings_problem(error)}", file=sys.stderr)
        return 2
    except CompoundError as error:  # a module not found, a module's settings refused
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        status = args.handler(settings, args)
    except CompoundError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    sys.exit(main())
