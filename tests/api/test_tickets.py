"""The staff API's tickets through HTTP: keys, roles, scoping, errors, limits, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey, AuditEntry, Message, Ticket, TicketEvent
from tests.conftest import make_app

BASE = "/api/v1/tickets"


def _error(response) -> tuple[int, str, str | None]:
    body = response.get_json()["error"]
    return response.status_code, body["code"], body["field"]


# --- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({}, "authorization"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "authorization"),
        ({"Authorization": "Bearer not-a-key"}, None),
        ({"Authorization": "Bearer wl_0123456789ab_" + "A" * 43}, None),
    ],
)
def test_no_or_a_wrong_key_is_401_json(client, world, headers, field):
    for url in (BASE, f"{BASE}/{world.water}"):
        assert _error(client.get(url, headers=headers)) == (401, "unauthorized", field)
    assert _error(
        client.post(f"{BASE}/{world.water}/transitions", json={"to": "acknowledged"}, headers=headers)
    )[:2] == (401, "unauthorized")


def test_a_revoked_key_is_401(client, world):
    response = client.get(BASE, headers=world.revoked)
    assert _error(response) == (401, "unauthorized", None)
    assert "revoked" in response.get_json()["error"]["message"]


def test_a_used_key_records_when(app, client, world):
    assert client.get(BASE, headers=world.agent).status_code == 200
    with app.app_context():
        assert db.session.get(ApiKey, world.agent_key_id).last_used_at is not None


# --- reading --------------------------------------------------------------------------------


def _references(response) -> set[str]:
    assert response.status_code == 200, response.get_json()
    return {t["reference"] for t in response.get_json()["items"]}


def test_each_role_lists_what_it_may_see(client, world):
    assert _references(client.get(BASE, headers=world.agent)) == {world.water, world.roads}
    assert _references(client.get(BASE, headers=world.admin)) == {world.water, world.roads}
    assert _references(client.get(BASE, headers=world.department)) == {world.water}
    assert _references(client.get(BASE + "?limit=5", headers=world.councillor)) == {world.water}
    assert _references(client.get(BASE, headers=world.other)) == {world.ghana}
    assert _references(client.get(BASE, headers=world.platform)) == {world.water, world.roads, world.ghana}
    assert _references(client.get(BASE + "?municipality=stma", headers=world.platform)) == {world.ghana}


def test_a_ticket_out_of_view_is_404_never_403(client, world):
    assert client.get(f"{BASE}/{world.water}", headers=world.department).status_code == 200
    assert _error(client.get(f"{BASE}/{world.roads}", headers=world.department)) == (
        404,
        "not_found",
        "reference",
    )
    assert _error(client.get(f"{BASE}/{world.roads}", headers=world.councillor))[:2] == (404, "not_found")
    assert _error(client.get(f"{BASE}/{world.water}", headers=world.other))[:2] == (404, "not_found")
    assert _error(client.get(f"{BASE}/12345", headers=world.agent))[:2] == (404, "not_found")
    moved = client.post(f"{BASE}/{world.water}/transitions", json={"to": "acknowledged"}, headers=world.other)
    assert _error(moved)[:2] == (404, "not_found")


def test_a_ticket_shows_its_state_events_and_followers(client, world):
    body = client.get(f"{BASE}/{world.water}", headers=world.agent).get_json()
    assert body["reference"] == world.water and body["state"] == "received"
    assert body["category"] == "water" and body["ward"] == 3
    assert body["department"] == {"id": world.water_department, "name": "Water and Sanitation"}
    assert body["followers_count"] == 1
    assert [(e["kind"], e["to_state"]) for e in body["events"]] == [("created", "received")]


def test_filters(client, world):
    def refs(query):
        return _references(client.get(f"{BASE}?{query}", headers=world.agent))

    assert refs("ward=4") == {world.roads}
    assert refs("category=WATER") == {world.water}
    assert refs(f"department={world.roads_department}") == {world.roads}
    assert refs("state=received") == {world.water, world.roads}
    assert refs("state=resolved") == set()
    assert refs("overdue=true") == set()
    assert refs("created_after=2000-01-01T00:00:00Z") == {world.water, world.roads}
    assert refs("created_before=2000-01-01T00:00:00Z") == set()
    assert refs(f"q={world.roads}") == {world.roads}
    assert refs("q=main rd") == {world.water, world.roads}
    assert refs("q=50%25") == set()


def test_cursor_pages_cover_the_list_once(client, world):
    seen, cursor = [], None
    for _ in range(3):
        response = client.get(
            f"{BASE}?limit=1" + (f"&cursor={cursor}" if cursor else ""), headers=world.agent
        )
        page = response.get_json()
        seen += [t["reference"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted([world.water, world.roads]) and cursor is None
    assert _error(client.get(f"{BASE}?cursor=bm9wZQ", headers=world.agent)) == (422, "invalid", "cursor")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("state=open", "state"),
        ("ward=x", "ward"),
        ("color=red", "color"),
    ],
)
def test_bad_queries_name_the_field(client, world, query, field):
    assert _error(client.get(f"{BASE}?{query}", headers=world.agent)) == (422, "invalid", field)


# --- writing --------------------------------------------------------------------------------


def _move(client, world, to, headers=None, reference=None, **extra):
    return client.post(
        f"{BASE}/{reference or world.water}/transitions",
        json={"to": to, **extra},
        headers=headers or world.agent,
    )


def test_a_ticket_goes_through_its_states_audited_with_an_sms(app, client, world):
    for to in ("acknowledged", "in_progress", "resolved"):
        response = _move(client, world, to, public_note="Team on site" if to == "in_progress" else None)
        assert response.status_code == 200 and response.get_json()["state"] == to
    body = response.get_json()
    assert [e["to_state"] for e in body["events"]] == ["received", "acknowledged", "in_progress", "resolved"]
    assert {e["actor"] for e in body["events"][1:]} == {f"api_key:{world.agent_key_id}"}
    with app.app_context():
        session = db.session()
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.transition")).all()
        assert [(a.before["status"], a.after["status"]) for a in audit] == [
            ("received", "acknowledged"),
            ("acknowledged", "in_progress"),
            ("in_progress", "resolved"),
        ]
        assert all(a.actor_kind == "api_key" and a.actor_id == world.agent_key_id for a in audit)


def test_an_illegal_move_is_409_and_changes_nothing(app, client, world):
    assert _error(_move(client, world, "closed")) == (409, "illegal_transition", "to")
    assert _error(_move(client, world, "duplicate")) == (409, "illegal_transition", "to")
    assert _error(_move(client, world, "rejected")) == (422, "reason_required", "reason")
    assert _error(_move(client, world, "flying")) == (422, "invalid", "to")
    assert _error(_move(client, world, "resolved", public_note="x" * 301)) == (422, "invalid", "public_note")
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == world.water))
        assert ticket.status == "received"
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action.like("ticket.%"))) is None


def test_a_councillor_reads_but_may_not_write(client, world):
    assert client.get(f"{BASE}/{world.water}", headers=world.councillor).status_code == 200
    assert _error(_move(client, world, "acknowledged", headers=world.councillor)) == (403, "forbidden", None)
    created = client.post(
        BASE,
        json={
            "phone": "0821112222",
            "ward": 3,
            "category": "water",
            "location": "Main Rd",
            "channel": "phone",
        },
        headers=world.councillor,
    )
    assert _error(created) == (403, "forbidden", None)


def test_a_department_works_its_own_tickets_only(client, world):
    assert _move(client, world, "acknowledged", headers=world.department).status_code == 200
    other = _move(client, world, "acknowledged", headers=world.department, reference=world.roads)
    assert _error(other) == (404, "not_found", "reference")


def test_assign_and_merge(app, client, world):
    assigned = client.post(
        f"{BASE}/{world.water}/assign", json={"department_id": world.roads_department}, headers=world.agent
    )
    assert assigned.status_code == 200 and assigned.get_json()["department"]["id"] == world.roads_department
    bad = client.post(f"{BASE}/{world.water}/assign", json={"department_id": 99999}, headers=world.agent)
    assert _error(bad) == (422, "not_found", "department")
    assert _error(client.post(f"{BASE}/{world.water}/assign", json={}, headers=world.agent))[:2] == (
        422,
        "invalid",
    )
    foreign = client.post(f"{BASE}/{world.water}/merge", json={"into": world.ghana}, headers=world.agent)
    assert _error(foreign) == (422, "not_found", "into")
    merged = client.post(f"{BASE}/{world.water}/merge", json={"into": world.roads}, headers=world.agent)
    assert merged.status_code == 200
    assert (merged.get_json()["state"], merged.get_json()["merged_into"]) == ("duplicate", world.roads)
    again = client.post(f"{BASE}/{world.water}/merge", json={"into": world.roads}, headers=world.agent)
    assert _error(again) == (409, "illegal_transition", "to")
    survivor = client.get(f"{BASE}/{world.roads}", headers=world.agent).get_json()
    assert survivor["followers_count"] == 2
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("ticket.%"))
        ).all()
        assert sorted(actions) == ["ticket.assign", "ticket.merge"]


NEW = {
    "phone": "082 111 2222",
    "ward": 3,
    "category": "water",
    "location": "Corner of Main Rd",
    "channel": "phone",
}


def test_a_ticket_logged_for_a_caller_gets_a_reference_and_an_sms_once(app, client, world):
    headers = {**world.agent, "Idempotency-Key": "call-42"}
    first = client.post(BASE, json=NEW, headers=headers)
    assert first.status_code == 201, first.get_json()
    reference = first.get_json()["reference"]
    again = client.post(BASE, json=NEW, headers=headers)
    assert again.status_code == 201 and again.get_json()["reference"] == reference
    # Another key's same idempotency key makes its own ticket.
    other = client.post(BASE, json=NEW, headers={**world.admin, "Idempotency-Key": "call-42"})
    assert other.get_json()["reference"] != reference
    with app.app_context():
        session = db.session()
        ticket = session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert (ticket.source, ticket.status) == ("phone", "received")
        assert session.scalar(select(TicketEvent.actor).where(TicketEvent.ticket_id == ticket.id)) == (
            f"api_key:{world.agent_key_id}"
        )
        assert len(session.scalars(select(Message).where(Message.phone == "+27821112222")).all()) == 2
        audits = session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.create")).all()
        assert len(audits) == 2


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"ward": 99}, 422, "not_found", "ward"),
        ({"category": "unicorns"}, 422, "not_found", "category"),
        ({"channel": "ussd"}, 422, "invalid", "channel"),
        ({"phone": "12"}, 422, "invalid", "phone"),
        ({"location": "x" * 161}, 422, "invalid", "location"),
        ({"ward": None}, 422, "invalid", "ward"),
        ({"municipality": "stma"}, 422, "not_found", "municipality"),
    ],
)
def test_bad_new_tickets_name_the_field(client, world, change, status, code, field):
    assert _error(client.post(BASE, json={**NEW, **change}, headers=world.agent)) == (status, code, field)


def test_a_platform_key_names_the_municipality(client, world):
    assert _error(client.post(BASE, json=NEW, headers=world.platform)) == (422, "invalid", "municipality")
    made = client.post(BASE, json={**NEW, "municipality": "saldanha"}, headers=world.platform)
    assert made.status_code == 201


# --- limits and errors ----------------------------------------------------------------------


def test_body_limits_and_malformed_json(client, world):
    huge = client.post(
        f"{BASE}/{world.water}/transitions",
        data='{"to": "acknowledged", "internal_note": "' + "x" * 70_000 + '"}',
        content_type="application/json",
        headers=world.agent,
    )
    assert _error(huge)[:2] == (413, "body_too_large")
    broken = client.post(
        f"{BASE}/{world.water}/transitions",
        data="{not json",
        content_type="application/json",
        headers=world.agent,
    )
    assert _error(broken)[:2] == (400, "bad_json")


def test_unknown_routes_and_methods_answer_json(client, world):
    assert _error(client.get("/api/v1/nothing-here", headers=world.agent))[:2] == (404, "not_found")
    assert _error(client.delete(f"{BASE}/{world.water}", headers=world.agent))[:2] == (
        405,
        "method_not_allowed",
    )


def test_the_rate_limit_answers_429_per_key(settings, world):
    limited = make_app(settings, API_RATE_LIMIT="3/minute").test_client()
    for _ in range(3):
        assert limited.get(BASE, headers=world.agent).status_code == 200
    refused = limited.get(BASE, headers=world.agent)
    assert _error(refused) == (429, "rate_limited", None) and int(refused.headers["Retry-After"]) >= 1
    assert limited.get(BASE, headers=world.admin).status_code == 200  # another key: its own count
    for _ in range(3):
        limited.get(BASE)
    assert _error(limited.get(BASE))[:2] == (429, "rate_limited")  # no key: counted per address
