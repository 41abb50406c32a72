"""The sandboxes' control token: `EASEL_SANDBOX_TOKEN`, or the file `$EASEL_DATA_DIR/sandbox.token`.

`easel demo` and `easel sandbox` create the file (readable by its owner only) when neither exists and
print the token at start-up; everything else only reads it, and without one every control request is
refused (see `control_auth`).
"""

from __future__ import annotations

import os
import secrets

from easel.settings import Settings

FILE_NAME = "sandbox.token"


def control_token(settings: Settings, *, create: bool = False) -> str:
    """The token; with `create`, a new one is written to the token file when there is none."""
    if settings.sandbox_token.strip():
        return settings.sandbox_token.strip()
    path = settings.data_dir / FILE_NAME
    try:
        return path.read_text("utf-8").strip()
    except FileNotFoundError:
        if not create:
            return ""
    token = secrets.token_urlsafe(32)
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # holds keys, tokens and addresses
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile
        return path.read_text("utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token
