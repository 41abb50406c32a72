"""Faithful fakes of the vendors easel talks to, as ASGI apps, for tests and demos.

Each vendor gets one module here with a `create_app(...)` factory: same paths, headers, JSON shapes,
status codes and validation as the real API (including the quirks recorded from live traffic), state in
memory, mounted by `easel demo` (e.g. `/sandbox/pwinty/v3.0`) or served alone by `easel sandbox <vendor>`
(both built in `builtin.py`). `/_control` answers only to the control token (`control_auth.py`, `token.py`).

Two shared pieces make every sandbox controllable the same way:

* `clock.SandboxClock`: the time orders progress on (real time × speed + manual offset), changed with
  `POST /_control/clock {"advance": seconds, "speed": factor}`;
* `faults.FaultInjector`: errors, 429s, slow answers, timeouts, lost answers and dropped, duplicated or
  reordered callbacks, deterministic with a seed, changed with `POST /_control/faults {...}`.

A sandbox never fetches the URLs a client gives it (images are "downloaded" by looking at the URL only);
the only outbound requests it makes are callbacks, through easel's outbound guard (`easel.outbound`).
"""

from easel.sandboxes.clock import SandboxClock
from easel.sandboxes.faults import FaultInjector, FaultSettings

__all__ = ["FaultInjector", "FaultSettings", "SandboxClock"]
