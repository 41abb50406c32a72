"""Rate-limit stores: each counts per key and window, the shared ones (database, Redis) give every process
one budget, and a Redis outage lets requests through with a warning instead of failing them."""

from __future__ import annotations

import secrets
import socket
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import redis.asyncio

from easel.api.rate_limit import DatabaseRateLimiter, MemoryRateLimiter, RateLimiter, RedisRateLimiter
from easel.runtime import Runtime
from easel.settings import Settings, SettingsError

pytestmark = pytest.mark.anyio
REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


needs_redis = pytest.mark.skipif(not _redis_answers(), reason="no Redis answers on 127.0.0.1:6379")


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0  # the start of a 60 s window

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def redis_client() -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


def _prefix() -> str:
    return f"easel-test:{secrets.token_hex(4)}:"  # keeps parallel or repeated runs apart


async def _exhaust(limiter: RateLimiter, key: str, times: int) -> list[int]:
    return [(await limiter.hit(key)).remaining for _ in range(times)]


async def test_memory_counts_per_key_and_window() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(limit=2, window=60, clock=clock)
    assert await _exhaust(limiter, "1:GET", 3) == [1, 0, -1]
    assert (await limiter.hit("1:POST")).remaining == 1
    clock.now += 60
    state = await limiter.hit("1:GET")
    assert state.remaining == 1 and state.reset_in == 60


async def test_the_database_store_is_one_budget_for_every_process(runtime: Runtime) -> None:
    clock = Clock()
    first, second = (DatabaseRateLimiter(runtime.engine, limit=3, window=60, clock=clock) for _ in range(2))
    assert (await first.hit("7:GET")).remaining == 2
    assert (await second.hit("7:GET")).remaining == 1
    assert (await first.hit("7:GET")).remaining == 0
    assert not (await second.hit("7:GET")).allowed
    clock.now += 60
    assert (await second.hit("7:GET")).remaining == 2  # a new window; the old one is forgotten


@needs_redis
async def test_the_redis_store_is_one_budget_for_every_process(redis_client: redis.asyncio.Redis) -> None:
    clock, prefix = Clock(), _prefix()

    def process() -> RedisRateLimiter:  # a limiter with its own connection, as another process has
        return RedisRateLimiter(redis.asyncio.Redis.from_url(REDIS_URL), limit=3, window=60, clock=clock,
                                prefix=prefix)

    first, second = process(), process()
    try:
        assert [(await first.hit("7:GET")).remaining, (await second.hit("7:GET")).remaining] == [2, 1]
        assert (await first.hit("7:GET")).remaining == 0
        limited = await second.hit("7:GET")
        assert not limited.allowed and limited.headers()["X-Rate-Limit-Remaining"] == "0"
        assert (await first.hit("7:POST")).remaining == 2
        key = f"{prefix}7:GET:{int(clock.now) - int(clock.now) % 60}"
        assert int(await redis_client.get(key) or 0) == 4
        assert 0 < await redis_client.ttl(key) <= 60 + 60  # gone soon after its window ends
        clock.now += 60
        assert (await second.hit("7:GET")).remaining == 2
    finally:
        await first.close()
        await second.close()
        leftovers = [k async for k in redis_client.scan_iter(f"{prefix}*")]
        if leftovers:
            await redis_client.delete(*leftovers)


async def test_an_unreachable_redis_lets_requests_through_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    limiter = RedisRateLimiter(redis.asyncio.Redis.from_url(f"redis://127.0.0.1:{closed_port}/0",
                                                            socket_connect_timeout=1), limit=5, window=60)
    try:
        state = await limiter.hit("1:GET")
    finally:
        await limiter.close()
    assert state.allowed and state.remaining == 5
    assert "rate limit not counted" in caplog.text


@needs_redis
async def test_settings_choose_the_store(settings: Settings) -> None:
    runtime = Runtime.create(replace(settings, rate_limit_store="redis", redis_url=REDIS_URL))
    try:
        assert isinstance(runtime.rate_limiter, RedisRateLimiter)
    finally:
        await runtime.close()
    with pytest.raises(SettingsError, match="EASEL_REDIS_URL"):
        Runtime.create(replace(settings, rate_limit_store="redis", redis_url="http://nope"))


async def _per_key_limits(limiter: RateLimiter) -> None:
    """A merchant's own limit applies to its keys; others keep the store's default (3)."""
    assert [(await limiter.hit("8:GET /orders", 5)).remaining for _ in range(2)] == [4, 3]
    state = await limiter.hit("8:GET /orders", 5)
    assert state.limit == 5 and state.headers()["X-Rate-Limit"] == "5"
    assert (await limiter.hit("9:GET /orders")).limit == 3


async def test_every_store_honours_a_merchant_s_own_limit(runtime: Runtime) -> None:
    clock = Clock()
    await _per_key_limits(MemoryRateLimiter(limit=3, window=60, clock=clock))
    await _per_key_limits(DatabaseRateLimiter(runtime.engine, limit=3, window=60, clock=clock))


@needs_redis
async def test_redis_honours_a_merchant_s_own_limit(redis_client: redis.asyncio.Redis) -> None:
    prefix = _prefix()
    limiter = RedisRateLimiter(redis.asyncio.Redis.from_url(REDIS_URL), limit=3, window=60, clock=Clock(),
                               prefix=prefix)
    try:
        await _per_key_limits(limiter)
    finally:
        await limiter.close()
        leftovers = [k async for k in redis_client.scan_iter(f"{prefix}*")]
        if leftovers:
            await redis_client.delete(*leftovers)


async def test_the_memory_store_is_bounded_and_forgets_past_windows() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(limit=3, window=60, clock=clock, max_keys=100)
    for i in range(1_000):
        await limiter.hit(f"{i}:GET /orders")
    assert len(limiter._counts) <= 100
    clock.now += 61
    await limiter.hit("1:GET /orders")
    assert len(limiter._counts) == 1  # the past window's counters expired


def test_a_merchant_s_rate_limit_is_a_merchant_setting(settings: Settings) -> None:
    import json

    from .test_cli import easel

    env = {"DATABASE_URL": settings.database_url, "EASEL_DATA_DIR": str(settings.data_dir),
           "EASEL_SECRET_KEY": settings.secret_key}
    assert easel(env, "merchant", "create", "ratey").exit_code == 0
    shown = json.loads(easel(env, "merchant", "show", "ratey").output)
    assert shown["rate_limit"] == "default (EASEL_RATE_LIMIT)"
    changed = easel(env, "merchant", "set", "ratey", "--rate-limit", "5000")
    assert changed.exit_code == 0 and json.loads(changed.output)["rate_limit"] == 5000
    assert json.loads(easel(env, "merchant", "set", "ratey", "--rate-limit", "default").output)["rate_limit"] == (
        "default (EASEL_RATE_LIMIT)")
    refused = easel(env, "merchant", "set", "ratey", "--rate-limit", "-3")
    assert refused.exit_code == 1 and "rate limit" in refused.output
