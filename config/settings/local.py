"""The embedded defaults: SQLite, one machine, served on 127.0.0.1 over plain HTTP.

This is what `scripts/start` runs. DEBUG stays off (TELEKAM_DEBUG=1 turns it on for
development). The secret key is generated once and kept in var/secret_key.
"""

from __future__ import annotations

import os
import secrets

from .base import *  # noqa: F403
from .base import VAR_DIR


def _local_secret_key() -> str:
    configured = os.environ.get("TELEKAM_SECRET_KEY")
    if configured:
        return configured
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _local_secret_key()
