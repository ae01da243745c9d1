"""The gateway's processes: web and workers (`serve`), a worker, the reaper, the simulator."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.core import migrate
from app.extensions import db, redis_store
from app.places.demo import load_demo
from app.ussd.simulator import Phone
from workers.queues import WardlinkWorker, get_queue
from workers.reaper import reap_all, start_reaper_thread


@click.command("worker")
@click.option("--queues", default="high,bulk", show_default=True, help="Queues, in priority order.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker(queues, burst):
    """Run an RQ worker inside the app context (jobs need the database)."""
    names = [q.strip() for q in queues.split(",") if q.strip()]
    conn = redis_store.worker_client
    stop = threading.Event()
    if not burst:
        start_reaper_thread(current_app._get_current_object(), stop)
    try:
        WardlinkWorker([get_queue(n, conn) for n in names], connection=conn).work(
            burst=burst, with_scheduler=True, logging_level=current_app.config["LOG_LEVEL"]
        )
    finally:
        stop.set()


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


@click.command("serve")
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", "worker_count", default=1, show_default=True, help="RQ workers.")
@with_appcontext
def serve(port, worker_count):
    """Start the gateway: migrations, demo data, web (gunicorn) and RQ workers."""
    app = current_app._get_current_object()
    migrate.upgrade(db)
    if load_demo(db.session()):
        click.echo("loaded the demo municipalities")
    token = app.config.get("WEBHOOK_TOKEN") or _dev_token(Path(app.instance_path))
    env = dict(os.environ, REDIS_URL=redis_store.url, DATABASE_URL=db.url, WEBHOOK_TOKEN=token,
               PORT=str(port), WARDLINK_INSTANCE=app.instance_path)
    procs = [subprocess.Popen([sys.executable, "-m", "gunicorn", "-c",
                               "python:app.gunicorn_conf", "app.wsgi:app"],
                              env=env)]
    procs += [subprocess.Popen([sys.executable, "-m", "app", "worker"], env=env)
              for _ in range(worker_count)]
    base = f"http://127.0.0.1:{port}"
    click.echo(f"""
wardlink is running on {base}  (Ctrl-C stops it)
  USSD callback:    {base}/webhooks/africastalking/ussd?token=<token in instance/webhook_token>
  Try it:           wardlink simulate --url {base} --code '*384*1234#'
  Shared code:      wardlink simulate --url {base} --code '*384*100#'
  Health:           curl {base}/readyz
""")

    def stop(*_args):
        for p in procs:
            if p.poll() is None:
                p.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


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
        migrate.upgrade(db)
        load_demo(db.session())
        app.config["WEBHOOK_TOKEN"] = app.config.get("WEBHOOK_TOKEN") or _dev_token(
            Path(app.instance_path))
    Phone(app=None if url else app, url=url, token=token, phone=phone,
          service_code=service_code).play(click.prompt, click.echo)
