"""Servers for benchmarks: uvicorn in a subprocess (its own core), and a load loop in this process."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
_PIDS: dict[str, int] = {}  # base URL → the server's process, while it runs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def uvicorn_process(app: str, env: dict[str, str] | None = None, factory: bool = True) -> Iterator[str]:
    """Run ``app`` (an import string) with uvicorn in a subprocess on a free port; yield its base URL."""
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning", "--no-access-log"]
    if factory:
        args.append("--factory")
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    _PIDS[base] = proc.pid
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/ping", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{app} did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        _PIDS.pop(base, None)
        proc.terminate()
        proc.wait(timeout=10)


def requests_per_second(base: str, make: Callable[[], tuple[str, str, dict[str, str], bytes | None]],
                        seconds: float = 5.0, concurrency: int = 16, latencies: list[float] | None = None) -> float:
    """Closed-loop load over keep-alive HTTP/1.1 connections: a minimal client on raw asyncio streams, so
    the load generator costs far less than the server it measures. Every answer must be 200. Each
    request's time (seconds, under this load) is appended to ``latencies`` when given."""
    host, port = base.removeprefix("http://").split(":")

    def raw(method: str, path: str, headers: dict[str, str], body: bytes | None) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body or b'')}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")

    async def main() -> float:
        done = 0
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            reader, writer = await asyncio.open_connection(host, int(port))
            try:
                while (sent := time.perf_counter()) < stop:
                    writer.write(raw(*make()))
                    head = await reader.readuntil(b"\r\n\r\n")
                    status = head[9:12]
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line[:15].lower() == b"content-length:":
                            length = int(line[15:])
                    body = await reader.readexactly(length)
                    if status != b"200":
                        raise RuntimeError(f"{status!r}: {body[:200]!r}")
                    done += 1
                    if latencies is not None:
                        latencies.append(time.perf_counter() - sent)
            finally:
                writer.close()

        started = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(concurrency)])
        return done / (time.perf_counter() - started)

    return asyncio.run(main())


@contextmanager
def scratch_postgresql() -> Iterator[str | None]:
    """A new, empty PostgreSQL database on the server at ``TEST_DATABASE_URL`` (or the local default),
    dropped afterwards; yields its URL, or None when no server answers."""
    admin = "postgresql://" + (os.environ.get("TEST_DATABASE_URL") or PG_DEFAULT).partition("://")[2]
    name = f"easel_bench_{os.getpid()}_{int(time.time() * 1000) % 10**6}"

    async def run(sql: str) -> bool:
        try:
            conn = await asyncpg.connect(admin, timeout=3)
        except (OSError, asyncpg.PostgresError):
            return False
        try:
            await conn.execute(sql)
        finally:
            await conn.close()
        return True

    if not asyncio.run(run(f'CREATE DATABASE "{name}"')):
        yield None
        return
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def cpu_seconds(base: str) -> float | None:
    """CPU time (user + system) the server at ``base`` has used so far; None where /proc cannot tell."""
    pid = _PIDS.get(base)
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def alternating_rps(targets: list[tuple[str, Callable[[], tuple[str, str, dict[str, str], bytes | None]]]],
                    seconds: float = 5.0, slices: int = 5,
                    latencies: list[list[float]] | None = None, cpu_us: list[float] | None = None) -> list[float]:
    """Requests per second of each (base URL, request) in turn, in ``slices`` rounds of ``seconds / slices``
    each: on a shared machine, load that comes and goes then falls on every target alike, so their ratio
    means more than two numbers measured a minute apart. ``cpu_us`` gets each server's CPU time per
    request (µs), which other work on the machine disturbs far less than requests per second."""
    done = [0.0] * len(targets)
    used = [0.0] * len(targets)
    for _ in range(slices):
        for i, (base, make) in enumerate(targets):
            before = cpu_seconds(base)
            done[i] += requests_per_second(base, make, seconds=seconds / slices,
                                           latencies=latencies[i] if latencies is not None else None)
            after = cpu_seconds(base)
            used[i] += (after - before) if before is not None and after is not None else float("nan")
    if cpu_us is not None:
        cpu_us[:] = [u / (d * seconds / slices) * 1e6 if d else float("nan") for u, d in zip(used, done, strict=True)]
    return [d / slices for d in done]
