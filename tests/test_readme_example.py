"""The README's Python example runs as written against a served easel and prints what it says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import anyio
import pytest

from easel.app import create_demo_app
from easel.runtime import Runtime

from .servers import run_asgi

pytestmark = pytest.mark.anyio
README = Path(__file__).resolve().parent.parent / "README.md"


def _python_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    return next(b for b in blocks if "create_order" in b)


async def test_the_readme_python_example_places_an_order(demo_runtime: Runtime) -> None:
    code = _python_example()
    out = io.StringIO()

    def run(base_url: str) -> None:
        with contextlib.redirect_stdout(out):
            exec(compile(code.replace("http://127.0.0.1:8000", base_url), "README.md", "exec"), {})

    # The server makes its own runtime on its own event loop (a PostgreSQL pool belongs to one loop).
    with run_asgi(create_demo_app(demo_runtime.settings)) as url:
        await anyio.to_thread.run_sync(run, url)
    printed = out.getvalue().split()
    # The demo's worker may have picked the order up between create and get: Processing is as right.
    assert len(printed) == 3 and printed[0].isdigit() and printed[2].isdigit(), printed
    assert printed[1] in ("Pending", "Processing"), printed
