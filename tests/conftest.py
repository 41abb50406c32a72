"""Shared fixtures: settings with a fresh database per test (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), a runtime, and an in-process HTTP client for the app.

A test whose fixtures include ``demo_runtime`` (or that is marked ``demo_data``) gets a database that already
holds the demo data, copied from a template seeded once per session: the rows ``seed_demo`` writes, the
merchant's secret sealed with the session's key (:func:`secret_key`), so ``seed_demo`` finds them there.
"""

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
from .databases import PostgresTemplate, Seed, SqliteTemplate, postgres_url

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


@pytest.fixture(scope="session")
def secret_key() -> str:
    """One key per session: the seeded demo merchant's secret is sealed with it (every database is fresh)."""
    return new_key()


@pytest.fixture(scope="session")
def demo_seed(shared_data_dir: Path, secret_key: str) -> Seed:
    """Writes the demo data into a database, as the ``demo_runtime`` fixture's runtime would."""

    async def seed(url: str) -> None:
        runtime = Runtime.create(Settings(data_dir=shared_data_dir, database_url=url, secret_key=secret_key),
                                 builtin_sandboxes=True)
        try:
            assert await seed_demo(runtime, images=False)
        finally:
            await runtime.close()

    return seed


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: SqliteTemplate,
                 postgres_template: PostgresTemplate | None, demo_seed: Seed) -> Iterator[str]:
    """A freshly migrated database, on each backend under test; holding the demo data when the test
    will seed it (``demo_runtime``) or says it wants it (``@pytest.mark.demo_data``)."""
    template = sqlite_template if request.param == "sqlite" else postgres_template
    assert template is not None
    seeded = "demo_runtime" in request.fixturenames or request.node.get_closest_marker("demo_data") is not None
    url = template.fresh(tmp_path, seed=demo_seed if seeded else None)
    yield url
    template.drop(url)


@pytest.fixture
def settings(database_url: str, shared_data_dir: Path, secret_key: str) -> Settings:
    return Settings(data_dir=shared_data_dir, database_url=database_url, secret_key=secret_key)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    active = Runtime.create(settings, builtin_sandboxes=True)  # test orders have sandbox accounts: they can be made
    yield active
    await active.close()


@pytest.fixture
async def demo_runtime(runtime: Runtime) -> Runtime:
    """A runtime whose database holds the demo catalogue and the document's test merchant (copied from the
    seeded template: ``seed_demo`` finds them, and still adds what an older demo database would lack)."""
    await seed_demo(runtime, images=False)
    return runtime


@pytest.fixture
async def client(demo_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client for the demo app (the production app plus the demo store and the sandboxes),
    with the demo data loaded."""
    app = create_demo_app(runtime=demo_runtime)
    async with in_process(app) as http:
        yield http


