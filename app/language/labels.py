"""Names of categories, outage services and ticket statuses in each language."""

from __future__ import annotations

from app.language.i18n import N_, gettext

CATEGORY_LABELS = {
    "water": N_("Water"),
    "sanitation": N_("Sanitation"),
    "electricity": N_("Electricity"),
    "roads": N_("Roads"),
    "refuse": N_("Refuse"),
    "streetlights": N_("Streetlights"),
    "other": N_("Other"),
}
"""Catalogue labels of the standard categories and outage services."""

STATUS_LABELS = {
    "received": N_("Received"),
    "acknowledged": N_("Acknowledged"),
    "in_progress": N_("In progress"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "rejected": N_("Rejected"),
    "duplicate": N_("Already reported"),
    "reopened": N_("Reopened"),
}
"""Ticket statuses as citizens read them."""


def category_label(locale: str, category: dict) -> str:
    """A category's name: the municipality's own label, else the catalogue's, else English."""
    labels = category.get("labels") or {}
    if labels.get(locale):
        return labels[locale]
    code = category.get("code", "")
    if code in CATEGORY_LABELS:
        return gettext(locale, CATEGORY_LABELS[code])
    return labels.get("en") or code.title()


def status_label(locale: str, status: str) -> str:
    """A ticket status in the caller's language."""
    return gettext(locale, STATUS_LABELS.get(status, status))
