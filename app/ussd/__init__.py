"""The USSD channel: webhook views, Redis sessions and the resolver of the menu's needs."""
