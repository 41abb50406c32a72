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


def test_a_misspelt_setting_is_refused_with_the_name_it_resembles() -> None:
    with pytest.raises(SettingsError, match=r"EASEL_IN_PROCESS_WORKER is not an easel setting \(did you mean EASEL_"):
        Settings.from_env({"EASEL_IN_PROCESS_WORKER": "false"})
    with pytest.raises(SettingsError, match=r"EASEL_RATELIMIT is not an easel setting \(did you mean EASEL_RATE_LIMIT\?\)"):
        Settings.from_env({"EASEL_RATELIMIT": "5"})


def test_the_cli_says_so_in_one_sentence(tmp_path: Path) -> None:
    import subprocess
    import sys

    easel = str(Path(sys.executable).with_name("easel"))
    done = subprocess.run([easel, "db", "current"], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "EASEL_DATA_DIR": str(tmp_path), "EASEL_WORKERS": "2"})
    assert done.returncode == 1 and "EASEL_WORKERS is not an easel setting" in done.stderr
    assert "Traceback" not in done.stderr
