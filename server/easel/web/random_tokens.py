"""Request ids and CSP nonces from ``os.urandom`` read a block at a time.

Every request gets a random id and every page a nonce; one ``getrandom`` system call each cost a
measurable share of a hot request on a busy machine (py-spy: ~4–11 % of the server's samples on the
order and price benchmarks, where a context switch often follows the call). The same kernel randomness,
read 4 KB at a time, costs one call per few hundred tokens; each byte is still used once only (a
forked child starts a block of its own).
"""

from __future__ import annotations

import base64
import os
import threading

_BLOCK = 4096


class _RandomBytes:
    def __init__(self) -> None:
        self._block = b""
        self._at = 0
        self._lock = threading.Lock()  # the loop's thread, mostly; tests' and sync routes' threads too

    def take(self, n: int) -> bytes:
        with self._lock:
            if self._at + n > len(self._block):
                self._block, self._at = os.urandom(_BLOCK), 0
            chunk = self._block[self._at:self._at + n]
            self._at += n
            return chunk


    def forget(self) -> None:
        self._block, self._at = b"", 0


_RANDOM = _RandomBytes()
os.register_at_fork(after_in_child=_RANDOM.forget)  # a forked child must not reuse the parent's bytes


def new_request_id() -> str:
    """16 hex digits (64 random bits), as ``secrets.token_hex(8)``."""
    return _RANDOM.take(8).hex()


def new_nonce() -> str:
    """22 URL-safe characters (128 random bits), as ``secrets.token_urlsafe(16)``."""
    return base64.urlsafe_b64encode(_RANDOM.take(16)).rstrip(b"=").decode("ascii")
