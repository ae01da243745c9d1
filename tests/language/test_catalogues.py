"""A missing translation catalogue stops start-up instead of answering callers in English."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from app import create_app
from app.language import i18n


def test_every_supported_language_but_english_has_a_catalogue():
    i18n.check_catalogues()


def test_create_app_refuses_to_start_without_catalogues(monkeypatch, tmp_path):
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    with pytest.raises(i18n.CatalogueError) as err:
        create_app({"DATABASE_URL": "sqlite://", "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert str(err.value) == f"wardlink: no translation catalogue for af, xh, zu, ak in {tmp_path}"


def test_one_missing_catalogue_is_named(monkeypatch, tmp_path):
    shutil.copytree(i18n.LOCALES_DIR, tmp_path / "locales")
    (tmp_path / "locales" / "xh" / "LC_MESSAGES" / "messages.po").unlink()
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path / "locales")
    with pytest.raises(i18n.CatalogueError, match=r"catalogue for xh in "):
        create_app({"DATABASE_URL": "sqlite://", "REDIS_URL": "redis://127.0.0.1:1/0"})


def test_cli_says_so_in_one_line(tmp_path):
    # The wardlink command in a process whose catalogues folder is empty, as in a wheel
    # built without its .po files.
    script = (
        "import sys, pathlib\n"
        "from app.language import i18n\n"
        f"i18n.LOCALES_DIR = pathlib.Path({str(tmp_path)!r})\n"
        "from app.cli import main\n"
        "sys.argv = ['wardlink', 'db', 'upgrade']\n"
        "main()\n"
    )
    env = {
        **os.environ,
        "WARDLINK_INSTANCE": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == f"wardlink: no translation catalogue for af, xh, zu, ak in {tmp_path}\n"
    assert not (tmp_path / "x.db").exists()
