"""Jinja2 templates (autoescaped) and the folders they and the widget's assets ship in.

In a wheel, ``templates/`` and ``widget_assets/`` are inside the package; in a checkout they sit at the
top of the repository. Both layouts are found here, in one place.
"""

from __future__ import annotations

from pathlib import Path

from starlette.templating import Jinja2Templates

_PACKAGE = Path(__file__).resolve().parent.parent


def resource_dir(name: str) -> Path:
    """``templates`` or ``widget_assets``: inside the installed package, else at the repository top."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name} folder is missing from this installation")


def make_templates() -> Jinja2Templates:
    return Jinja2Templates(directory=str(resource_dir("templates")))
