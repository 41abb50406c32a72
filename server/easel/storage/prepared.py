"""The statements every dispatched order runs, compiled once and, on SQLite, run on the DB-API cursor.

A dispatched order runs about fourteen statements. Through SQLAlchemy's ``Connection.execute`` each
costs 25–40 µs of CPU around 3–15 µs of SQLite's own work (the compiled-cache look-up, a dict of every
parameter, an execution context and a result object built per call): measured on this project's
machine, the worker's SQL cost three times what SQLite itself took. A :class:`Prepared` statement does
that bookkeeping once per dialect: its SQL, the order of its parameters with their fixed values and
type processors, and the processors of its result columns. On the inline SQLite engine it then hands
the DB-API cursor the SQL and a parameter tuple, through the connection's own busy handling (so a
write that meets another process's lock waits exactly as through ``execute``), and gives back the rows
as named tuples. The SQL is SQLAlchemy's own compilation of the same Core statement, and the values
pass through the same type processors, so what is stored and read back is identical (tests compare
the two paths).

Anywhere else (PostgreSQL, an in-memory SQLite, or an engine with cursor event listeners, which only
tests attach) it is plain ``conn.execute``; so is a statement this module does not know how to run
itself (expanding or literal-execute parameters, Python-side column defaults), decided when it is
first compiled.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler

from .inline_sqlite import InlineSQLiteConnection, StatementKind, kind_of

_REQUIRED = object()


@dataclass(frozen=True)
class _Plan:
    sql: str
    kind: StatementKind
    """How a first write of it waits for SQLite's lock (inline_sqlite)."""
    binds: tuple[tuple[str, Any, Callable[[Any], Any] | None], ...]
    """Per positional parameter: its name, its fixed value (or _REQUIRED) and its type's processor."""
    row: Callable[[Iterable[Any]], Any] | None
    """Makes a result row, a named tuple (None: the statement returns none)."""
    results: tuple[Callable[[Any], Any] | None, ...]

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        values = []
        for name, fixed, process in self.binds:
            if name in params:
                value = params[name]
            elif fixed is _REQUIRED:
                raise exc.InvalidRequestError(f"A value is required for bind parameter {name!r}")
            else:
                value = fixed
            values.append(process(value) if process is not None else value)  # (None too, as SQLAlchemy does)
        return tuple(values)

    def rows(self, raw: Sequence[tuple[Any, ...]]) -> list[Any]:
        assert self.row is not None
        make, processors = self.row, self.results
        return [make([p(v) if p is not None else v for p, v in zip(processors, r, strict=True)]) for r in raw]


class PreparedResult:
    """The rows (or the row count) of a prepared statement: the part of SQLAlchemy's result easel uses."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> list[Any]:
        return list(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def one(self) -> Any:
        if len(self._rows) != 1:
            raise exc.NoResultFound("no row") if not self._rows else exc.MultipleResultsFound("more than one row")
        return self._rows[0]

    def scalar_one(self) -> Any:
        return self.one()[0]


def _plan(statement: Any, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) or None)
    assert isinstance(compiled, SQLCompiler)
    if (compiled.positiontup is None or compiled.literal_execute_params or compiled.post_compile_params
            or compiled.insert_prefetch or compiled.update_prefetch):
        return None  # work SQLAlchemy does per execution: leave it to SQLAlchemy
    binds = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        if bind.callable is not None or bind.expanding:
            return None
        fixed = _REQUIRED if bind.required or name in keys else bind.value
        binds.append((name, fixed, bind.type.dialect_impl(dialect).bind_processor(dialect)))
    returns = bool(compiled.returning) or bool(getattr(statement, "is_select", False))
    columns = list(statement.selected_columns if getattr(statement, "is_select", False) else
                   statement.exported_columns if returns else ())
    row = namedtuple("Row", [c.key for c in columns], rename=True)._make if returns else None  # type: ignore[misc,attr-defined]
    results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns) if returns else ()
    return _Plan(compiled.string, kind_of(statement), tuple(binds), row, results)


class Prepared:
    """A Core statement run per order: on the inline SQLite engine, with its bookkeeping done once."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan | None] = {}

    def _plan_for(self, conn: AsyncConnection, params: Mapping[str, Any]) -> _Plan | None:
        if not isinstance(conn, InlineSQLiteConnection) or conn.sync_engine.dispatch.before_cursor_execute:
            return None
        keys = tuple(sorted(params))
        slot = (conn.dialect.name, keys)
        if slot not in self._plans:
            self._plans[slot] = _plan(self.statement, conn.dialect, keys)
        plan = self._plans[slot]
        if plan is not None and plan.kind is not StatementKind.READ and not conn.in_transaction():
            return None  # outside ``begin()``: SQLAlchemy's execution begins the transaction its commit ends
        return plan

    async def execute_many(self, conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run once per mapping of ``rows`` (which all name the same parameters), returning nothing."""
        plan = self._plan_for(conn, rows[0]) if rows else None
        if plan is None or plan.row is not None:
            if rows:
                await conn.execute(self.statement, [dict(r) for r in rows])
            return
        assert isinstance(conn, InlineSQLiteConnection)
        cursor = await conn.execute_on_cursor(plan.kind, plan.sql, [plan.arguments(r) for r in rows], many=True)
        cursor.close()

    async def execute(self, conn: AsyncConnection, params: Mapping[str, Any]) -> Any:
        """Run with ``params``: a :class:`PreparedResult`, or SQLAlchemy's own result where it runs it."""
        plan = self._plan_for(conn, params)
        if plan is None:
            return await conn.execute(self.statement, dict(params))
        assert isinstance(conn, InlineSQLiteConnection)
        cursor = await conn.execute_on_cursor(plan.kind, plan.sql, plan.arguments(params))
        try:
            if plan.row is None:
                return PreparedResult([], cursor.rowcount)
            if len(cursor.description) != len(plan.results):  # a statement whose columns this module misread
                raise RuntimeError(f"{len(cursor.description)} columns from a statement prepared for "
                                   f"{len(plan.results)}: {plan.sql[:80]}")
            return PreparedResult(plan.rows(cursor.fetchall()), cursor.rowcount)
        finally:
            cursor.close()
