#!/usr/bin/env python3
"""Set up and run wardlink on a fresh machine with only Python 3.11+.

    python3 scripts/dev.py serve   # gateway (web, workers, cron) on SQLite and an embedded Redis
    python3 scripts/dev.py test    # the test suite (pytest arguments may follow)

Creates `.venv` beside the project on first use and reinstalls when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("WARDLINK_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".wardlink-installed"


def ensure_env() -> None:
    """Create the virtualenv and install wardlink with its extras when needed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - runs under any system python3
        sys.exit("wardlink needs Python 3.11 or newer")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    print("installing wardlink and its dependencies (first run only)", flush=True)
    subprocess.run([*pip, "-e", f"{ROOT}[embedded,postgres,test]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("serve", "test", "wardlink"):
        print(__doc__)
        return 2
    ensure_env()
    os.chdir(ROOT)
    command, rest = argv[0], argv[1:]
    if command == "test":
        args = [str(BIN / "python"), "-m", "pytest", *rest]
    elif command == "serve":
        args = [str(BIN / "wardlink"), "serve", *rest]
    else:
        args = [str(BIN / "wardlink"), *rest]
    if os.name == "nt":
        return subprocess.call(args)
    # Replace this process, so Ctrl-C and SIGTERM reach wardlink itself (which stops gunicorn
    # and the workers it started) instead of leaving them running.
    os.execv(args[0], args)  # noqa: S606 - our own venv binary, fixed arguments
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
