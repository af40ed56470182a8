"""Shoal's command line.

python -m app serve [--port N]  the web process (--port: SHOAL_PORT, one per process)
python -m app migrate           apply pending migrations (the release step)
python -m app dev               migrate, then web + one worker together (newcomer's mode)
python -m app createuser NAME [--role admin|moderator|user] [--password P] [--email E]
python -m app resetpassword NAME [--password P]
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import signal
import subprocess
import sys

import tornado.httpserver

from app import auth, uploads
from app.db import connect, migrate
from app.federation import actors
from app.settings import Settings, SettingsError
from app.web import make_app
from models.accounts import Role, User

log = logging.getLogger("shoal")


def _setup(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    connect(settings.database_url)
    migrate()
    # The server actor signs every fetch: make its key now, not on a request path.
    actors.ensure_keys(actors.server_actor())
    generated = auth.ensure_root(settings)
    if generated:
        # Printed once, on the first start only: the admin must keep it.
        log.warning("created admin account 'root' with password: %s", generated)
    # A web process killed mid-upload left its part files behind.
    uploads.remove_leftovers(settings)


async def _serve(settings: Settings) -> None:
    app = make_app(settings)
    # No `xheaders`: app/web.py reads the proxy's headers for requests that reach a handler.
    server = tornado.httpserver.HTTPServer(
        app, max_buffer_size=64 * 1024 * 1024, idle_connection_timeout=3600
    )
    server.listen(settings.port, address=settings.bind)
    log.info("Shoal listening on http://%s:%s (public URL %s)", settings.bind, settings.port,
             settings.base_url)  # fmt: skip
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.stop()
    await server.close_all_connections()
    app.settings["view_counter"].stop()  # the views counted since the last flush


def cmd_serve(settings: Settings, _args: argparse.Namespace) -> None:
    _setup(settings)
    asyncio.run(_serve(settings))


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> None:
    connect(settings.database_url)
    applied = migrate()
    print("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))


def cmd_dev(settings: Settings, _args: argparse.Namespace) -> None:
    """Web and a worker together, for one machine: the worker is a child process."""
    _setup(settings)
    worker = subprocess.Popen([sys.executable, "-m", "workers"], env=dict(os.environ))
    try:
        asyncio.run(_serve(settings))
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def _password(args: argparse.Namespace) -> str:
    if args.password:
        return args.password
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("The passwords differ.")
    return first


def cmd_createuser(settings: Settings, args: argparse.Namespace) -> None:
    connect(settings.database_url)
    migrate()
    role = {"admin": Role.ADMIN, "moderator": Role.MODERATOR, "user": Role.USER}[args.role]
    try:
        user = auth.create_user(settings, args.name, _password(args), email=args.email, role=role)
    except auth.AuthError as err:
        raise SystemExit(str(err)) from None
    print(f"created {role.label.lower()} {user.username}")


def cmd_resetpassword(settings: Settings, args: argparse.Namespace) -> None:
    connect(settings.database_url)
    user = User.get_or_none(User.username == args.name)
    if user is None:
        raise SystemExit(f"no user named {args.name!r}")
    try:
        auth.set_password(user, _password(args))
    except auth.AuthError as err:
        raise SystemExit(str(err)) from None
    print(f"password of {user.username} changed; their sessions ended")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app", description="Shoal video server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web process")
    serve.add_argument(
        "--port", type=int, help="port to listen on (SHOAL_PORT); one per web process"
    )
    sub.add_parser("migrate", help="apply pending database migrations")
    sub.add_parser("dev", help="migrate, then run web and a worker together")
    create = sub.add_parser("createuser", help="create a user")
    create.add_argument("name")
    create.add_argument("--role", choices=["admin", "moderator", "user"], default="user")
    create.add_argument("--password")
    create.add_argument("--email")
    reset = sub.add_parser("resetpassword", help="set a user's password")
    reset.add_argument("name")
    reset.add_argument("--password")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s web %(levelname)s %(name)s: %(message)s"
    )
    env = dict(os.environ)
    if getattr(args, "port", None) is not None:
        env["SHOAL_PORT"] = str(args.port)
    try:
        settings = Settings.from_env(env)
    except SettingsError as err:
        raise SystemExit(f"configuration error: {err}") from None
    commands = {
        "serve": cmd_serve,
        "migrate": cmd_migrate,
        "dev": cmd_dev,
        "createuser": cmd_createuser,
        "resetpassword": cmd_resetpassword,
    }
    commands[args.command](settings, args)


if __name__ == "__main__":
    main()
