"""Logging for every easel process: one stderr line per record, easel's level, and no secrets.

httpx logs each request's full URL at INFO and httpcore its connection details at DEBUG: query strings
with vendor API keys and upstream signatures, the secret vendor-callback path, merchants' callback URLs
with their tokens. They are held at WARNING whatever easel's level. easel's own log calls redact URLs
where they print them (``easel.redact``); ``RedactFilter``, on the stderr handler installed here and on
uvicorn's loggers (which keep their own handlers), redacts every record once more, tracebacks included,
as a last guard for what a library or an error message prints.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from .redact import redact_text

URL_LOGGERS = ("httpx", "httpcore")
SERVER_LOGGERS = ("uvicorn.error", "uvicorn.access", "uvicorn.asgi")
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def _redacted(value: Any) -> Any:
    return redact_text(value) if isinstance(value, str) else value


class RedactFilter(logging.Filter):
    """Redacts a record's message, its string arguments and its traceback text in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.args:  # with arguments the message is a format string written in the code
            record.msg = _redacted(record.msg)
        elif isinstance(record.args, tuple):
            record.args = tuple(_redacted(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redacted(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


def _has_redact_filter(filterer: logging.Filterer) -> bool:
    return any(isinstance(f, RedactFilter) for f in filterer.filters)


def configure_logging(level: str) -> None:
    """Set easel's level, hold URL-printing libraries at WARNING and redact the server's own loggers;
    where nothing handles log records yet (the CLI, or a worker process that ``easel serve --workers N``
    spawns), log to stderr, redacted.

    Called by the CLI and by ``create_app``; calling it again adds nothing twice.
    """
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(RedactFilter())
        root.addHandler(handler)
        root.setLevel(level.upper())
    logging.getLogger("easel").setLevel(level.upper())
    for name in URL_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in SERVER_LOGGERS:  # records made there go to uvicorn's handlers, not through root's filter
        logger = logging.getLogger(name)
        if not _has_redact_filter(logger):
            logger.addFilter(RedactFilter())
