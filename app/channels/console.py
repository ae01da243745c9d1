"""The console provider: stores and prints every SMS instead of sending it (demo, laptops)."""

from __future__ import annotations

import secrets

from app.channels.events import RecipientResult
from app.core.phones import mask_phone
from app.language.gsm import count_segments


class ConsoleSMS:
    """Accepts everything; the outbox rows show exactly what would have gone out."""

    name = "console"

    def send(self, text: str, numbers: list[str], sender_id: str | None) -> list[RecipientResult]:
        """Print the message once per request and accept every number."""
        segments = count_segments(text).segments
        print(
            f"[SMS from {sender_id or 'default'} to {len(numbers)} "
            f"({', '.join(mask_phone(n) for n in numbers[:3])}"
            f"{'...' if len(numbers) > 3 else ''}), {segments} segment(s)]\n  {text}",
            flush=True,
        )
        return [RecipientResult(n, 101, "Success", "console-" + secrets.token_hex(8), "0") for n in numbers]
