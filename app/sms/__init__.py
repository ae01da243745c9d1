"""The SMS channel: inbound webhooks, the keyword dispatcher and its commands."""
