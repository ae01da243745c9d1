"""wardlink: a USSD/SMS gateway between citizens with feature phones and their municipality."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify
from flask.sessions import SessionInterface
from werkzeug.exceptions import HTTPException

from app.config import check_production, load_config
from app.language.i18n import check_catalogues


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment, then `config`. No I/O happens here
    except starting the embedded Redis when REDIS_URL is unset (lazily connected otherwise)."""
    app = Flask(
        __name__, instance_path=os.environ.get("WARDLINK_INSTANCE") or None, instance_relative_config=True
    )
    app.config.update(load_config(config))
    check_production(app.config)
    check_catalogues()
    if not app.config.get("SECRET_KEY"):
        # Development only (production refuses to start without one).
        app.config["SECRET_KEY"] = "dev-only-not-secret"  # noqa: S105
    if not app.config.get("PHONE_HASH_KEY"):
        app.config["PHONE_HASH_KEY"] = app.config["SECRET_KEY"]
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_FORM_BYTES"]
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config["MAX_FORM_BYTES"]
    # Webhooks and the CLI keep no browser state: no signed cookie is read or written.
    app.session_interface = _NoCookies()

    # Imported here, not at the top: this is the package every `app.*` module imports first,
    # so importing the web stack at its top would make each of them import it (and form a
    # cycle with every module that imports `app.extensions`).
    from app import api, cli
    from app.api import errors as api_errors
    from app.channels import registry
    from app.channels.africastalking import views as africastalking_views
    from app.core import health
    from app.extensions import db, redis_store

    db.init_app(app)
    redis_store.init_app(app)
    registry.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(africastalking_views.bp)
    api.init_app(app)
    cli.init_app(app)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        """API and webhook errors answer JSON, never an HTML page."""
        if api_errors.is_api_request():
            return api_errors.http_error(exc)  # e.g. an unknown route under /api
        return jsonify(error=exc.name.lower(), description=exc.description), exc.code

    @app.errorhandler(Exception)
    def unhandled(exc: Exception):
        app.logger.exception("unhandled error")
        return jsonify(error="internal error"), 500

    return app


class _NoCookies(SessionInterface):
    """`flask.session` stays an empty null session; nothing parses or sets a cookie."""

    def open_session(self, app, request):
        return None

    def save_session(self, app, session, response):
        return None
