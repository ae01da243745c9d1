"""The staff API (`/api/v1`, JSON): a thin face over the service layer, like the CLI.

- `access.py`: the bearer key of each request, resolved to a Principal; rate limits
  (`throttle.py`) per key, and per address for calls without a valid key.
- `errors.py`: every error as `{"error": {"code", "message", "field"}}`.
- `schemas.py`: what is read and written (marshmallow); flask-smorest validates requests
  with them and builds the OpenAPI 3 document served at `/api/v1/openapi.json`.
- `tickets.py`: tickets by reference.

flask-smorest was chosen because it documents a plain Flask app's blueprints (APIFlask wants
its own app class), and marshmallow is small and already how webargs validates.
"""

from __future__ import annotations

from flask_smorest import Api

from app.api import access, errors, throttle, tickets

OPENAPI = {
    "API_TITLE": "wardlink staff API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}
"""flask-smorest's settings: the document only (no browsable UI is served)."""


class StaffApi(Api):
    """flask-smorest's Api, documenting our error body and leaving error handling to us."""

    ERROR_SCHEMA = errors.ErrorEnvelopeSchema

    def _register_error_handlers(self):
        """Errors are rendered by `app.api.errors` (registered in `init_app`)."""


def init_app(app) -> None:
    """Register the API's blueprints, its document, key check, rate limit and errors."""
    for name, value in OPENAPI.items():
        app.config.setdefault(name, value)
    throttle.init_app(app)
    api = StaffApi(
        app,
        spec_kwargs={
            "info": {"description": "Send `Authorization: Bearer <key>` (made by `wardlink apikeys create`)."}
        },
    )
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    api.register_blueprint(tickets.bp)
    app.extensions["wardlink.api"] = api
    app.before_request(access.authenticate)
