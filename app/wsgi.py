"""WSGI entry point for gunicorn: `gunicorn -c app/gunicorn_conf.py app.wsgi:app`."""

from app import create_app
from app.logs import configure_logging

configure_logging()
app = create_app()
