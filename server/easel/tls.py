"""One TLS context per process for easel's outbound HTTP clients.

Building a context loads the whole CA bundle (some 30 ms), and easel builds a client for its runtime and
one per sandbox as an app starts; a context is safe to share between clients, so they share this one.
It verifies exactly as httpx's default does (certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR).
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def client_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
