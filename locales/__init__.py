"""The gettext catalogues (`<code>/LC_MESSAGES/messages.po`), shipped as package data."""
