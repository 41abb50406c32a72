"""Settings are declared once; the README's reference is generated from the declaration."""

from __future__ import annotations

from pathlib import Path

import pytest

from easel.settings import Settings, SettingsError, settings_reference

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_carries_the_generated_reference() -> None:
    text = README.read_text()
    section = text.split("<!-- settings:start -->\n", 1)[1].split("\n<!-- settings:end -->", 1)[0]
    assert section.strip() == settings_reference().strip()


def test_settings_come_from_the_environment_only_when_asked() -> None:
    s = Settings.from_env({"EASEL_DATA_DIR": "/srv/easel", "EASEL_LOG_LEVEL": "WARNING"})
    assert s.data_dir == Path("/srv/easel") and s.log_level == "warning"
    assert s.resolved_database_url == "sqlite+aiosqlite:////srv/easel/easel.sqlite3"
    assert Settings.from_env({"DATABASE_URL": "postgresql://u@h/db"}).resolved_database_url == (
        "postgresql+asyncpg://u@h/db")


def test_a_bad_setting_names_itself() -> None:
    with pytest.raises(SettingsError, match="EASEL_LOG_LEVEL must be one of"):
        Settings.from_env({"EASEL_LOG_LEVEL": "chatty"})
