"""Rendered pictures on disk, at most ``EASEL_IMAGE_CACHE_BYTES``: the least recently used go first.

Anyone can ask for a preview of any configuration (a colour border takes any CSS colour), so the files
rendered for them must not grow without bound. A hit marks its file as used (its access time, set
explicitly, so ``noatime`` mounts do not matter); when the bytes this process has added take the
folder over its budget, the folder is measured and the files used longest ago are deleted until it is
at 90 % of the budget. Several processes sharing the folder each measure it before they delete, so
together they hold it near the budget.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path

_TOUCH_AFTER = 60.0  # seconds: a file used within the last minute is not marked again


class RenderCache:
    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._bytes: int | None = None  # measured on first use

    def hit(self, path: Path) -> bool:
        """Whether ``path`` is there; marks it as just used."""
        try:
            st = path.stat()
        except OSError:
            return False
        now = time.time()
        if now - st.st_atime > _TOUCH_AFTER:
            with contextlib.suppress(OSError):  # gone meanwhile: the caller's response will say so
                os.utime(path, ns=(time.time_ns(), st.st_mtime_ns))
        return True

    def added(self, size: int) -> None:
        """Count a file just written; evict if the folder is over its budget (call from a thread)."""
        with self._lock:
            if self._bytes is None:
                self._bytes = sum(size for _, size, _ in self._files())
            else:
                self._bytes += size
            if self._bytes > self.max_bytes:
                self._bytes = self._evict(int(self.max_bytes * 0.9))

    def _files(self) -> list[tuple[float, int, Path]]:
        found: list[tuple[float, int, Path]] = []
        for root, _, names in os.walk(self.folder):
            for name in names:
                if name.endswith(".tmp"):  # being written right now
                    continue
                path = Path(root, name)
                try:
                    st = path.stat()
                except OSError:
                    continue
                found.append((st.st_atime, st.st_size, path))
        return found

    def _evict(self, goal: int) -> int:
        files = sorted(self._files())
        total = sum(size for _, size, _ in files)
        for _, size, path in files:
            if total <= goal:
                break
            try:
                path.unlink()
            except OSError:
                continue
            total -= size
        return total
