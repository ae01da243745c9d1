"""`wardlink serve` and `wardlink simulate` as a user meets them: exit codes, one-line errors,
a banner whose commands work as typed, no process left behind, no token on the screen."""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from app.channels.africastalking.fake import ServerThread
from app.cli import processes
from app.cli.processes import serve, simulate
from tests.conftest import TOKEN
from workers.reaper import LOCK_KEY

WARDLINK = Path(sys.executable).parent / "wardlink"
SECRET = "do-not-show-this-token-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(tmp_path, settings, **extra) -> dict:
    """The environment of a `wardlink` process on its own instance folder and SQLite file,
    sharing the tests' Redis."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("WEBHOOK_TOKEN", "DATABASE_URL", "REDIS_URL", "WARDLINK_ENV")
    }
    env.update(
        WARDLINK_INSTANCE=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path}/serve.sqlite3",
        REDIS_URL=settings["REDIS_URL"],
    )
    env.update(extra)
    return env


def survivors(instance: Path, wait: float = 10) -> list[psutil.Process]:
    """Processes still running with `instance` as their instance folder (after up to `wait` s)."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for proc in psutil.process_iter():
            try:
                if proc.environ().get("WARDLINK_INSTANCE") == str(instance):
                    found.append(proc)
            except psutil.Error:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def kill(procs) -> None:
    for proc in procs:
        try:
            proc.kill()
        except psutil.Error:
            pass


@pytest.mark.slow
def test_serve_on_a_port_in_use_says_so_in_one_line_and_starts_nothing(tmp_path, settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [str(WARDLINK), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            env=environment(tmp_path, settings),
        )
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert proc.stderr.strip() == (f"wardlink: port {port} is in use on 127.0.0.1 (--port to choose another)")
    assert not (tmp_path / "serve.sqlite3").exists()  # not even the migrations ran
    assert survivors(tmp_path, wait=0) == []


@pytest.mark.slow
def test_serve_starts_web_workers_and_cron_and_sigterm_stops_them_all(tmp_path, settings, redis):
    port = free_port()
    out = (tmp_path / "out").open("w+")
    proc = subprocess.Popen(
        [str(WARDLINK), "serve", "--port", str(port)],
        stdout=out,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment(tmp_path, settings),
    )
    try:
        deadline = time.monotonic() + 120
        while "Health:" not in (tmp_path / "out").read_text():
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "out").read_text()[-3000:]
            time.sleep(0.2)
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code == 200
        # The cron process enqueues the reaper at once, a worker runs it: the lock shows it ran.
        while not redis.exists(LOCK_KEY):
            assert time.monotonic() < deadline, (tmp_path / "out").read_text()[-3000:]
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        left = survivors(tmp_path)
        kill(left)
    assert left == []
    text = (tmp_path / "out").read_text()
    banner = text[text.index("wardlink is running on") :]
    assert banner.startswith(f"wardlink is running on http://127.0.0.1:{port}  (Ctrl-C stops it)")
    assert "Processes:        gunicorn, 1 high and 1 bulk RQ worker, cron" in banner
    assert f"Webhook token:    {tmp_path / 'webhook_token'}" in banner
    try_it = next(line for line in banner.splitlines() if "Try it:" in line)
    command = shlex.split(try_it.split(":", 1)[1])
    assert shutil.which(command[0]) or Path(command[0]).is_file()
    assert command[1:] == ["simulate", "--url", f"http://127.0.0.1:{port}", "--code", "*384*1234#"]
    assert (tmp_path / "webhook_token").read_text().strip() not in text
    assert "Traceback" not in text


@pytest.mark.slow
def test_serve_names_the_process_that_died_and_stops_the_others(tmp_path, settings):
    port = free_port()
    env = environment(tmp_path, settings, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    try:
        proc = subprocess.run(
            [str(WARDLINK), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
        )
    finally:
        left = survivors(tmp_path)
        kill(left)
    assert left == []
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("wardlink: the ") and last.endswith(
        " process exited with code 1; stopped the others"
    )
    assert any(name in last for name in ("high worker", "bulk worker", "cron"))


def test_the_banner_command_is_bare_only_when_this_install_is_on_path(tmp_path, monkeypatch):
    bin_dir = Path(sys.prefix) / "bin"
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    assert processes._wardlink_command() == "wardlink"
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(Path(sys.prefix).parent)
    assert processes._wardlink_command() == str(Path(Path(sys.prefix).name, "bin", "wardlink"))
    monkeypatch.chdir(tmp_path)
    assert processes._wardlink_command() == str(bin_dir / "wardlink")


def test_port_check_sees_a_listening_socket():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert not processes._port_free("127.0.0.1", port)
    assert processes._port_free("127.0.0.1", port)


def test_serve_refuses_a_taken_port_before_touching_the_database(app, caplog):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = app.test_cli_runner().invoke(serve, ["--port", str(port)])
    assert result.exit_code == 1
    assert result.output == f"wardlink: port {port} is in use on 127.0.0.1 (--port to choose another)\n"
    assert not [r for r in caplog.records if r.name.startswith("alembic")]


@pytest.mark.slow
def test_simulate_against_a_stopped_gateway_is_one_line_without_the_token(tmp_path, settings):
    port = free_port()
    proc = subprocess.run(
        [str(WARDLINK), "simulate", "--url", f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        timeout=120,
        input="",
        env=environment(tmp_path, settings, WEBHOOK_TOKEN=SECRET),
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (
        f"wardlink: no gateway answers at http://127.0.0.1:{port} (is 'wardlink serve' running?)\n"
    )


def test_simulate_never_shows_a_token_given_in_the_url(app):
    port = free_port()
    result = app.test_cli_runner().invoke(
        simulate, ["--url", f"http://127.0.0.1:{port}/?token={SECRET}", "--token", SECRET]
    )
    assert result.exit_code == 1
    assert result.output == (
        f"wardlink: no gateway answers at http://127.0.0.1:{port} (is 'wardlink serve' running?)\n"
    )


@pytest.fixture
def gateway_url(app, demo):
    server = ServerThread(app).start()
    yield server.base_url
    server.shutdown()


def test_simulate_with_a_wrong_token_says_wrong_token(app, gateway_url):
    result = app.test_cli_runner().invoke(simulate, ["--url", gateway_url, "--token", SECRET])
    assert result.exit_code == 1
    assert result.output == (
        f"wardlink: the gateway at {gateway_url} says: wrong token "
        "(--token, WEBHOOK_TOKEN or the instance's webhook_token file)\n"
    )


def test_simulate_names_any_other_status(app, gateway_url):
    result = app.test_cli_runner().invoke(simulate, ["--url", gateway_url + "/elsewhere", "--token", TOKEN])
    assert result.exit_code == 1
    assert result.output == f"wardlink: the gateway at {gateway_url}/elsewhere answered HTTP 404\n"


def test_simulate_plays_a_running_gateway(app, gateway_url):
    result = app.test_cli_runner().invoke(simulate, ["--url", gateway_url, "--token", TOKEN], input="\n")
    assert result.output.startswith("+----")
    assert "Choose a language:" in result.output and TOKEN not in result.output


def test_simulate_in_process_logs_no_migrations(app, caplog):
    result = app.test_cli_runner().invoke(simulate, [], input="\n")
    assert result.output.startswith("+----") and "Choose a language:" in result.output
    assert not [r for r in caplog.records if r.name.startswith("alembic")]
    assert logging.getLogger("alembic").level == logging.NOTSET  # put back afterwards


@pytest.mark.slow
def test_simulate_in_process_shows_the_phone_first(tmp_path, settings):
    proc = subprocess.run(
        [str(WARDLINK), "simulate"],
        capture_output=True,
        text=True,
        timeout=120,
        input="\n",
        env=environment(tmp_path, settings),
    )
    assert proc.stdout.startswith("+----"), proc.stdout[:500]
    assert proc.stderr.strip() in ("", "Aborted!"), proc.stderr[-2000:]
