"""Shared fixtures: settings with a fresh database per test (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), a runtime, and an in-process HTTP client for the app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from easel.app import create_demo_app
from easel.demo.seed import seed_demo, write_demo_images
from easel.runtime import Runtime
from easel.secret_box import new_key
from easel.settings import Settings

from .asgi_client import in_process
from .databases import PostgresTemplate, SqliteTemplate, postgres_url

BACKENDS = ["sqlite"] + (["postgresql"] if postgres_url() else [])


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def shared_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder per session: demo images are drawn once, databases live elsewhere."""
    folder = tmp_path_factory.mktemp("data")
    write_demo_images(folder / "images")
    return folder


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[PostgresTemplate | None]:
    url = postgres_url()
    if not url:
        yield None
        return
    template = PostgresTemplate(url)
    yield template
    template.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: SqliteTemplate,
                 postgres_template: PostgresTemplate | None) -> Iterator[str]:
    """A freshly migrated database, on each backend under test."""
    template = sqlite_template if request.param == "sqlite" else postgres_template
    assert template is not None
    url = template.fresh(tmp_path)
    yield url
    template.drop(url)


@pytest.fixture
def settings(database_url: str, shared_data_dir: Path) -> Settings:
    return Settings(data_dir=shared_data_dir, database_url=database_url, secret_key=new_key())


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    active = Runtime.create(settings, builtin_sandboxes=True)  # test orders have sandbox accounts: they can be made
    yield active
    await active.close()


@pytest.fixture
async def demo_runtime(runtime: Runtime) -> Runtime:
    """A runtime whose database holds the demo catalogue and the document's test merchant."""
    await seed_demo(runtime, images=False)
    return runtime


@pytest.fixture
async def client(demo_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client for the demo app (the production app plus the demo store and the sandboxes),
    with the demo data loaded."""
    app = create_demo_app(runtime=demo_runtime)
    async with in_process(app) as http:
        yield http


