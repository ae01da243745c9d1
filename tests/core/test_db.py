"""Actions that wait for the session's commit (`on_commit`)."""

from __future__ import annotations

from app.core.db import on_commit, pending_actions
from app.extensions import db


def test_actions_run_after_the_commit_only(ctx):
    session = db.session()
    ran = []
    on_commit(session, lambda: ran.append("first"))
    on_commit(session, lambda: ran.append("second"))
    session.flush()
    assert ran == [] and pending_actions(session) == 2
    session.commit()
    assert ran == ["first", "second"] and pending_actions(session) == 0
    session.commit()
    assert ran == ["first", "second"]  # once


def test_a_rollback_drops_them(ctx):
    session = db.session()
    ran = []
    on_commit(session, lambda: ran.append("x"))
    session.rollback()
    session.commit()
    assert ran == [] and pending_actions(session) == 0


def test_a_savepoint_neither_runs_nor_drops_them(ctx):
    session = db.session()
    ran = []
    on_commit(session, lambda: ran.append("outer"))
    with session.begin_nested():
        pass
    nested = session.begin_nested()
    nested.rollback()
    assert ran == [] and pending_actions(session) == 1
    session.commit()
    assert ran == ["outer"]


def test_a_failing_action_does_not_stop_the_others(ctx, caplog):
    session = db.session()
    ran = []

    def boom():
        raise RuntimeError("redis is away")

    on_commit(session, boom)
    on_commit(session, lambda: ran.append("next"))
    session.commit()
    assert ran == ["next"] and "an action after commit failed" in caplog.text
