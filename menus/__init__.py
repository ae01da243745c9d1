"""USSD menus: screens as data (`screens.py`) and the pure `step()` engine (`engine.py`)."""

from menus.engine import Need, Outcome, Reply, new_session, step

__all__ = ["Need", "Outcome", "Reply", "new_session", "step"]
