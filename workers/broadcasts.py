"""Broadcast fan-out and its reaper (filled in by the broadcast feature)."""

from __future__ import annotations


def reap_broadcasts() -> dict:
    """Nothing to reap until broadcasts exist."""
    return {}
