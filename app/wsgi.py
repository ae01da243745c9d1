"""WSGI entry point for gunicorn: `gunicorn -c python:app.gunicorn_conf app.wsgi:app`."""

import sys

from app import create_app
from app.config import ConfigError
from app.core.logs import configure_logging

configure_logging()
try:
    app = create_app()
except ConfigError as exc:
    sys.stderr.write(str(exc) + "\n")
    sys.exit(4)  # gunicorn's "application could not be loaded"
