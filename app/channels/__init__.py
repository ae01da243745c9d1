"""Channels: one folder per SMS/USSD aggregator (its wire code, its webhook routes, its fake),
the neutral events they produce (`events.py`) and the registry of configured channels."""
