"""Test settings: the database comes from DATABASE_URL (PostgreSQL) or a throw-away SQLite."""

from __future__ import annotations

from .base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]
# Fast hashing in tests; production hashing is tested explicitly in org/tests.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Jobs run in-process unless a test starts a real consumer (telekam/core/tests/test_jobs.py).
HUEY = {"name": "telekam-test", "huey_class": "huey.MemoryHuey", "immediate": True}
