"""The served OpenAPI document is valid and real responses match it (openapi-core)."""

from __future__ import annotations

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.exceptions import OpenAPIError
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

BASE = "/api/v1/tickets"


def _check(spec: OpenAPI, method: str, path: str, response, json=None, query=None) -> None:
    request = Request(
        EnvironBuilder(
            path=path, method=method, json=json, query_string=query, base_url="http://localhost"
        ).get_environ()
    )
    spec.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))


def test_the_document_is_served_without_a_key_and_is_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    OpenAPI.from_dict(document)  # raises on an invalid document
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert {"/api/v1/tickets", "/api/v1/tickets/{reference}/transitions"} <= set(document["paths"])


def test_real_responses_match_the_document(client, world):
    spec = OpenAPI.from_dict(client.get("/api/v1/openapi.json").get_json())
    calls = [
        ("GET", BASE, None, "limit=1", world.agent),
        ("GET", BASE, None, "limit=500", world.agent),
        ("GET", BASE, None, None, {}),
        ("GET", f"{BASE}/{world.water}", None, None, world.agent),
        ("GET", f"{BASE}/{world.roads}", None, None, world.department),
        (
            "POST",
            f"{BASE}/{world.water}/transitions",
            {"to": "acknowledged", "public_note": "Seen"},
            None,
            world.agent,
        ),
        ("POST", f"{BASE}/{world.water}/transitions", {"to": "closed"}, None, world.agent),
        (
            "POST",
            f"{BASE}/{world.water}/assign",
            {"department_id": world.roads_department},
            None,
            world.agent,
        ),
        ("POST", f"{BASE}/{world.roads}/merge", {"into": world.water}, None, world.agent),
        (
            "POST",
            BASE,
            {
                "phone": "0821112222",
                "ward": 3,
                "category": "water",
                "location": "Main Rd",
                "channel": "counter",
            },
            None,
            world.agent,
        ),
    ]
    statuses = []
    for method, path, json, query, headers in calls:
        response = client.open(path, method=method, json=json, query_string=query, headers=headers)
        statuses.append(response.status_code)
        _check(spec, method, path, response, json=json, query=query)
    assert statuses == [200, 422, 401, 200, 404, 200, 409, 200, 200, 201]


def test_a_response_unlike_the_document_fails_the_check(client, world):
    spec = OpenAPI.from_dict(client.get("/api/v1/openapi.json").get_json())
    response = client.get(f"{BASE}/{world.water}", headers=world.agent)
    response.set_data(b'{"reference": 5}')
    with pytest.raises(OpenAPIError):
        _check(spec, "GET", f"{BASE}/{world.water}", response)
