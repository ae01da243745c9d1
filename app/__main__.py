"""`python -m app ...` is the `wardlink` command."""

from app.cli import main

main()
