"""Encryption at rest for merchant secrets (the HMAC keys of the order API).

HMAC needs the secret itself, so it is encrypted (Fernet: AES-128-CBC + HMAC-SHA256, from the
`cryptography` package) rather than hashed. The key comes from ``EASEL_SECRET_KEY`` or a key file in
the data folder; a wrong key is one clear sentence, never a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from .settings import Settings, SettingsError

KEY_FILE = "secret.key"


class SecretBox:
    def __init__(self, key: str):
        try:
            self._fernet = Fernet(key.strip().encode())
            self._key = key.strip().encode()
        except (ValueError, TypeError):
            raise SettingsError(
                "EASEL_SECRET_KEY is not a valid key (32 url-safe base64-encoded bytes); "
                "make one with `easel secret-key`"
            ) from None

    def derive(self, purpose: str) -> str:
        """A stable secret for ``purpose`` (e.g. a vendor callback URL token), derived from the server key."""
        digest = hmac.new(self._key, b"easel.derive.v1:" + purpose.encode(), hashlib.sha256).hexdigest()
        return digest[:40]

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SettingsError(
                "a merchant secret cannot be decrypted with this EASEL_SECRET_KEY; "
                "is it the key the secrets were stored with?"
            ) from None


def new_key() -> str:
    return Fernet.generate_key().decode()


def load_secret_box(settings: Settings, create: bool = False) -> SecretBox:
    """The box for these settings: EASEL_SECRET_KEY, else the data folder's key file (made if ``create``)."""
    if settings.secret_key:
        return SecretBox(settings.secret_key)
    path = Path(settings.data_dir) / KEY_FILE
    if path.exists():
        return SecretBox(path.read_text())
    if not create:
        raise SettingsError(
            f"EASEL_SECRET_KEY is not set and there is no key file at {path}; "
            "set it (make one with `easel secret-key`) or run `easel demo` once"
        )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the data folder: keys and addresses
    key = new_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return SecretBox(key)
