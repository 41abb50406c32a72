"""`make bench`: run every benchmark module's ``run()`` and print its figures as JSON lines."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    folder = Path(__file__).parent
    selected = sys.argv[1:]
    for info in sorted(pkgutil.iter_modules([str(folder)]), key=lambda m: m.name):
        if not info.name.startswith("bench_") or (selected and info.name not in selected):
            continue
        module = importlib.import_module(f"tests.bench.{info.name}")
        figures = module.run()
        print(json.dumps({"bench": info.name.removeprefix("bench_"), **figures}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
