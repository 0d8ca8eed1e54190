"""Production: every secret and host comes from the environment; fails loudly if missing."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import env, env_bool

SECRET_KEY = env("TELEKAM_SECRET_KEY")
ALLOWED_HOSTS = env("TELEKAM_ALLOWED_HOSTS").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in env("TELEKAM_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("TELEKAM_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(env("TELEKAM_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("TELEKAM_HSTS_PRELOAD", False)
# Operators run TeleKAM on intranet host names that cannot be on the browsers' public HSTS
# preload list; preloading is an opt-in (TELEKAM_HSTS_PRELOAD=1) for a public host.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
