"""USSD menus: screens as data (`screens.py`) and the pure `step()` engine (`engine.py`)."""

from menus.engine import Menu, Need, Outcome, Reply, new_session, step
from menus.screens import CITIZEN_MENU

__all__ = ["CITIZEN_MENU", "Menu", "Need", "Outcome", "Reply", "new_session", "step"]
