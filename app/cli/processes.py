"""The gateway's processes: web, workers and cron together (`serve`), a worker, the cron
process, the reaper, the simulator."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import requests
from flask import current_app
from flask.cli import with_appcontext

from app.core import migrate
from app.extensions import db, redis_store
from app.places.demo import load_demo
from app.ussd.simulator import GatewayError, Phone
from workers.cron import create_scheduler
from workers.queues import WardlinkWorker, get_queue
from workers.reaper import reap_all

STARTUP_TIMEOUT = 60
"""Seconds `serve` waits for the web process to answer before giving up."""


@click.command("worker")
@click.option("--queues", default="high,bulk", show_default=True, help="Queues, in priority order.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker(queues, burst):
    """Run an RQ worker inside the app context (jobs need the database)."""
    names = [q.strip() for q in queues.split(",") if q.strip()]
    conn = redis_store.worker_client
    WardlinkWorker([get_queue(n, conn) for n in names], connection=conn).work(
        burst=burst, with_scheduler=True, logging_level=current_app.config["LOG_LEVEL"]
    )


@click.command("cron")
@with_appcontext
def cron():
    """Enqueue the periodic jobs (the reaper, every minute) for the workers to run."""
    create_scheduler(redis_store.worker_client, current_app.config["LOG_LEVEL"]).start()


@click.command("reap")
@with_appcontext
def reap_command():
    """Re-queue outbox rows the queues lost and settle rows of dead workers (once)."""
    result = reap_all()
    click.echo(", ".join(f"{k}: {v}" for k, v in result.items()))


def _dev_token(instance: Path) -> str:
    path = instance / "webhook_token"
    if path.exists():
        return path.read_text().strip()
    token = secrets.token_urlsafe(32)
    instance.mkdir(parents=True, exist_ok=True)
    path.write_text(token)
    path.chmod(0o600)
    return token


def _port_free(host: str, port: int) -> bool:
    """Whether gunicorn will be able to listen on host:port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # gunicorn sets SO_REUSEADDR, so do the same: on Linux the bind then fails only when
        # something listens there, not for the TIME_WAIT connections of the last run.
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _answers(host: str, port: int) -> bool:
    """Whether the web process answers its health check (gunicorn listens before its
    workers have loaded the app)."""
    try:
        return requests.get(f"http://{host}:{port}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _shown(path: Path) -> str:
    """`path` relative to the working directory when inside it, else absolute."""
    path = path.absolute()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _wardlink_command() -> str:
    """How to type `wardlink` in this shell: bare when this install's copy is first on PATH,
    else its path (`.venv/bin/wardlink` from the project folder)."""
    script = Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin") / "wardlink"
    if not script.exists():
        script = Path(sys.argv[0])
    found = shutil.which("wardlink")
    if found and Path(found).resolve() == script.resolve():
        return "wardlink"
    shown = _shown(script)
    return shown if os.sep in shown else "." + os.sep + shown


def _url_host(host: str) -> str:
    """The host to put in a URL for a client on this machine."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - recognising it, not binding
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address gunicorn listens on (0.0.0.0: every interface).",
)
@click.option("--port", default=8000, show_default=True)
@click.option(
    "--workers", "worker_count", default=1, show_default=True, help="RQ workers per queue (high and bulk)."
)
@with_appcontext
def serve(host, port, worker_count):
    """Start the gateway: migrations, demo data, web (gunicorn), RQ workers and cron."""
    if not _port_free(host, port):
        click.echo(f"wardlink: port {port} is in use on {host} (--port to choose another)", err=True)
        sys.exit(1)
    app = current_app._get_current_object()
    migrate.upgrade(db)
    if load_demo(db.session()):
        click.echo("loaded the demo municipalities")
    token = app.config.get("WEBHOOK_TOKEN")
    where = "the WEBHOOK_TOKEN setting"
    if not token:
        token = _dev_token(Path(app.instance_path))
        where = _shown(Path(app.instance_path) / "webhook_token")
    env = dict(
        os.environ,
        REDIS_URL=redis_store.url,
        DATABASE_URL=db.url,
        WEBHOOK_TOKEN=token,
        PORT=str(port),
        WARDLINK_INSTANCE=app.instance_path,
    )
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    wardlink = [sys.executable, "-m", "app"]
    plan = [
        (
            "web (gunicorn)",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:app.gunicorn_conf",
                "--bind",
                bind,
                "app.wsgi:app",
            ],
        )
    ]
    for n in range(1, worker_count + 1):
        suffix = f" {n}" if worker_count > 1 else ""
        plan.append((f"high worker{suffix}", [*wardlink, "worker", "--queues", "high"]))
        plan.append((f"bulk worker{suffix}", [*wardlink, "worker", "--queues", "bulk,high"]))
    plan.append(("cron", [*wardlink, "cron"]))
    asked = False  # Ctrl-C or SIGTERM: a stop, not a failure

    def ask_stop(*_args):
        nonlocal asked
        asked = True

    def first_exit():
        return next(((name, p.returncode) for name, p in procs if p.poll() is not None), None)

    signal.signal(signal.SIGTERM, ask_stop)
    procs = [(name, subprocess.Popen(argv, env=env)) for name, argv in plan]
    failed = None
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not asked and not _answers(_url_host(host), port):
            if (failed := first_exit()) or time.monotonic() > deadline:
                failed = failed or ("web (gunicorn)", None)
                break
            time.sleep(0.2)
        if not asked and not failed:
            click.echo(_banner(host, port, where, worker_count))
        while not asked and not failed:
            failed = first_exit()
            time.sleep(0.5)
    except KeyboardInterrupt:
        asked = True
    finally:
        for _name, p in procs:
            if p.poll() is None:
                p.terminate()
        for _name, p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    if failed and not asked:
        name, code = failed
        why = f"exited with code {code}" if code is not None else f"did not answer within {STARTUP_TIMEOUT} s"
        click.echo(f"wardlink: the {name} process {why}; stopped the others", err=True)
        sys.exit(1)


def _banner(host: str, port: int, token_file: str, worker_count: int) -> str:
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    base = f"http://{_url_host(host)}:{port}"
    cmd = _wardlink_command()
    workers = "worker" if worker_count == 1 else "workers"
    return f"""
wardlink is running on http://{listen}  (Ctrl-C stops it)
  Processes:        gunicorn, {worker_count} high and {worker_count} bulk RQ {workers}, cron
  USSD callback:    {base}/webhooks/africastalking/ussd?token=<webhook token>
  Webhook token:    {token_file}
  Try it:           {cmd} simulate --url {base} --code '*384*1234#'
  Shared code:      {cmd} simulate --url {base} --code '*384*100#'
  Health:           curl {base}/readyz
"""


@click.command("simulate")
@click.option("--url", default=None, help="A running gateway; default: in-process.")
@click.option("--phone", default="+27820000001", show_default=True)
@click.option("--code", "service_code", default="*384*1234#", show_default=True)
@click.option("--token", envvar="WEBHOOK_TOKEN", default=None, help="Webhook token (remote).")
@with_appcontext
def simulate(url, phone, service_code, token):
    """Play a feature phone in the terminal: each screen as the phone shows it."""
    app = current_app._get_current_object()
    if url and not token:
        token = _dev_token(Path(app.instance_path))
    if not url:
        migrate.upgrade(db, quiet=True)
        load_demo(db.session())
        app.config["WEBHOOK_TOKEN"] = app.config.get("WEBHOOK_TOKEN") or _dev_token(Path(app.instance_path))
    try:
        Phone(app=None if url else app, url=url, token=token, phone=phone, service_code=service_code).play(
            click.prompt, click.echo
        )
    except GatewayError as exc:
        click.echo(f"wardlink: {exc}", err=True)
        sys.exit(1)
