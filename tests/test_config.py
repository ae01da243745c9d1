"""The settings table: what `load_config` reads and converts, and the README that lists it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.config import BY_NAME, SETTINGS, ConfigError, load_config

README = Path(__file__).resolve().parent.parent / "README.md"

README_TABLES = ("## Configuration", "**Provider settings.**")
"""The README's settings tables: the first Markdown table after each of these lines."""


def readme_rows(markdown: str) -> list[tuple[list[str], list[str], str]]:
    """(names, default parts, meaning) of every row of the README's settings tables.

    A row names one setting or several (`AT_USERNAME`, `AT_API_KEY`) in its first cell; its
    default cell has one comma-separated part per name, or one part for all of them."""
    lines = markdown.splitlines()
    rows = []
    for marker in README_TABLES:
        start = lines.index(marker)
        table = []
        for line in lines[start + 1 :]:
            if line.startswith("|"):
                table.append(line)
            elif table:
                break
        assert len(table) > 2, f"no table after {marker!r} in README.md"
        for line in table[2:]:  # after the header and the |---| line
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            names = re.findall(r"`([A-Z0-9_]+)`", cells[0])
            assert names and ", ".join(f"`{n}`" for n in names) == cells[0], f"bad first cell: {line}"
            defaults = [part.strip() for part in cells[1].split(",")]
            if len(defaults) == 1:
                defaults *= len(names)
            assert len(defaults) == len(names), f"one default per name: {line}"
            rows.append((names, defaults, cells[2]))
    return rows


def readme_problems(markdown: str) -> list[str]:
    """What the README's settings tables get wrong against SETTINGS (empty: they match)."""
    rows = readme_rows(markdown)
    listed = [name for names, _, _ in rows for name in names]
    env = [setting.name for setting in SETTINGS if setting.env]
    problems = [f"{name} is listed twice" for name in sorted(set(listed)) if listed.count(name) > 1]
    problems += [f"{name} is not an environment setting" for name in listed if name not in env]
    problems += [f"{name} is missing" for name in env if name not in listed]
    for names, defaults, _ in rows:
        for name, default in zip(names, defaults, strict=True):
            value = BY_NAME[name].default if name in env else None
            # A setting with a value by default shows exactly that value; an unset one
            # (None) says in words what happens instead.
            if value is not None and default != f"`{value}`":
                problems.append(f"{name}: README says {default}, the code `{value}`")
    return problems


def test_readme_lists_every_environment_setting_with_its_default():
    assert readme_problems(README.read_text(encoding="utf-8")) == []


def test_readme_check_catches_a_wrong_default_a_missing_row_and_an_unknown_one():
    markdown = README.read_text(encoding="utf-8")
    wrong = markdown.replace("| `USSD_SESSION_TTL` | `300` |", "| `USSD_SESSION_TTL` | `301` |")
    assert readme_problems(wrong) == ["USSD_SESSION_TTL: README says `301`, the code `300`"]
    assert readme_problems(markdown.replace("`3.05`, `9.05`", "`3.05`, `9`")) == [
        "SMS_READ_TIMEOUT: README says `9`, the code `9.05`"
    ]
    without = "\n".join(line for line in markdown.splitlines() if "| `SMS_BATCH_SIZE`" not in line)
    assert readme_problems(without) == ["SMS_BATCH_SIZE is missing"]
    renamed = markdown.replace("| `TIMEZONE` |", "| `TIME_ZONE` |")
    assert readme_problems(renamed) == ["TIME_ZONE is not an environment setting", "TIMEZONE is missing"]
    internal = markdown.replace("| `TIMEZONE` |", "| `TIMEZONE`, `USSD_TEXT_MAX` |")
    assert readme_problems(internal) == ["USSD_TEXT_MAX is not an environment setting"]


def test_every_setting_is_typed_and_explained():
    assert len(BY_NAME) == len(SETTINGS)
    for setting in SETTINGS:
        assert setting.type in (int, float, str, bool) and setting.meaning
        assert setting.default is None or isinstance(setting.default, setting.type), setting.name


def test_environment_values_are_converted_by_type():
    env = {
        "SMS_READ_TIMEOUT": "2.5",
        "SMS_BATCH_SIZE": "100",
        "LOG_LEVEL": "DEBUG",
        "TESTING": "1",
        "MAX_FORM_BYTES": "1",
    }
    config = load_config(environ=env)
    assert config["SMS_READ_TIMEOUT"] == 2.5 and config["SMS_BATCH_SIZE"] == 100
    assert config["LOG_LEVEL"] == "DEBUG"
    # Settings fixed in the code are not read from the environment ...
    assert config["TESTING"] is False and config["MAX_FORM_BYTES"] == 16 * 1024
    # ... but a caller's mapping may set them, strings converted alike.
    assert load_config({"TESTING": "yes", "MAX_FORM_BYTES": "10"}, environ={})["TESTING"] is True
    assert load_config({"MAX_FORM_BYTES": "10"}, environ={})["MAX_FORM_BYTES"] == 10
    # An empty variable counts as unset.
    assert load_config(environ={"SMS_BATCH_SIZE": ""})["SMS_BATCH_SIZE"] == 500


@pytest.mark.parametrize(("key", "value"), [("SMS_BATCH_SIZE", "lots"), ("SMS_READ_TIMEOUT", "9s")])
def test_a_value_that_does_not_convert_is_a_config_error(key, value):
    with pytest.raises(ConfigError) as err:
        load_config(environ={key: value})
    assert key in str(err.value) and repr(value) in str(err.value) and "\n" not in str(err.value)
