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

OUTAGE_PHRASES = {
    "water": N_("water outage"),
    "sanitation": N_("sanitation outage"),
    "electricity": N_("power outage"),
    "roads": N_("road works or closure"),
    "refuse": N_("refuse collection disruption"),
    "streetlights": N_("streetlight outage"),
    "other": N_("service disruption"),
}
"""What an outage of each service is called inside the outage SMS, one whole phrase per
service and language. A label glued to a fixed word cannot work: isiXhosa and isiZulu fuse
the possessive with the noun (kwamanzi, kombane, kukagesi, not "kwe-amanzi"), Afrikaans
writes one compound (wateronderbreking, kragonderbreking), and a road or the refuse round
is closed or delayed rather than "out". In isiXhosa and isiZulu every phrase is an uku- noun
(class 15), so the sentences around it agree with ku- whatever the service."""


def category_label(locale: str, category: dict) -> str:
    """A category's name: the municipality's own label, else the catalogue's, else English."""
    labels = category.get("labels") or {}
    if labels.get(locale):
        return labels[locale]
    code = category.get("code", "")
    if code in CATEGORY_LABELS:
        return gettext(locale, CATEGORY_LABELS[code])
    return labels.get("en") or code.title()


def outage_phrase(locale: str, service: str) -> str:
    """What an outage of `service` is called in the caller's language ("water outage",
    "ukuqhawuka kwamanzi"); the outage SMS put it into their sentences whole."""
    return gettext(locale, OUTAGE_PHRASES[service])


def status_label(locale: str, status: str) -> str:
    """A ticket status in the caller's language."""
    return gettext(locale, STATUS_LABELS.get(status, status))
