"""Settings shared by every environment. Nothing here reads a value that must be secret."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("TELEKAM_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} is required")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("TELEKAM_DEBUG", False)
ALLOWED_HOSTS = [h for h in env("TELEKAM_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "huey.contrib.djhuey",
    "telekam.core",
    "telekam.org",
    "telekam.catalog",
    "telekam.accounts",
    "telekam.billing",
    "telekam.service",
    "telekam.sales",
    "telekam.engagement",
    "telekam.retention",
    "telekam.value",
    "telekam.dashboards",
    "telekam.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "telekam.core.middleware.ApplicationErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "telekam" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "telekam.core.context_processors.navigation",
            ],
        },
    },
]


def database_from_env() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    config: dict[str, Any]
    if url:
        config = dict(dj_database_url.parse(url, conn_max_age=60))
    else:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        config = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "telekam.sqlite3"),
        }
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # One connection per worker process, kept between requests: the PRAGMAs below then
        # run once per process instead of once per request.
        config["CONN_MAX_AGE"] = None
        # WAL lets readers run while one writer writes; IMMEDIATE makes writers queue
        # instead of failing with "database is locked" half way through a transaction.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA cache_size=-64000;"
            ),
        }
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # the dashboard for those who see one, else the accounts
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions end after a working day, and when the browser closes.
SESSION_COOKIE_AGE = int(env("TELEKAM_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Login lock-out: this many failures within the window locks the username for the window.
TELEKAM_LOGIN_MAX_FAILURES = int(env("TELEKAM_LOGIN_MAX_FAILURES", "5"))
TELEKAM_LOGIN_LOCK_SECONDS = int(env("TELEKAM_LOGIN_LOCK_SECONDS", str(15 * 60)))

LANGUAGE_CODE = "zh-hans"
# Each language named in itself, as language pickers do.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "telekam" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("TELEKAM_STATIC_ROOT", BASE_DIR / "staticfiles"))
# Front-end packages come from npm through package-lock.json (scripts/setup runs npm ci);
# only the built files are exposed.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

# The analytics lake: call records and their aggregates as Parquet, one folder per day
# (see telekam/analytics/lake.py). The engine is DuckDB unless TELEKAM_ANALYTICS_ENGINE=spark.
# With Spark on a cluster, put the lake on storage every worker sees at the same path.
TELEKAM_LAKE_DIR = Path(os.environ.get("TELEKAM_LAKE_DIR", VAR_DIR / "lake"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

EMAIL_BACKEND = env("TELEKAM_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("TELEKAM_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("TELEKAM_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("TELEKAM_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env("TELEKAM_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("TELEKAM_EMAIL_TLS", False)
EMAIL_TIMEOUT = int(env("TELEKAM_EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = env("TELEKAM_EMAIL_FROM", "telekam@localhost")
# Where the product is reached from a mail client (links in notification e-mails).
TELEKAM_BASE_URL = env("TELEKAM_BASE_URL", "http://127.0.0.1:8000")

# The job runner (huey). Embedded default: a SQLite file next to the database, consumed by
# `telekam run_huey` (scripts/start starts it). In production set TELEKAM_JOBS_URL to a
# Redis URL (redis://host:6379/0) and run the same consumer on any number of machines.
TELEKAM_JOBS_URL = env("TELEKAM_JOBS_URL", "")
HUEY: dict[str, Any] = {
    "name": "telekam",
    "immediate": False,
    # Crontabs in the operator's time zone: Django sets TZ from TIME_ZONE, so "06:30" is
    # 06:30 in Beijing, not in UTC.
    "utc": False,
    "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
}
if TELEKAM_JOBS_URL.startswith(("redis://", "rediss://")):
    HUEY |= {"huey_class": "huey.RedisHuey", "url": TELEKAM_JOBS_URL}
elif TELEKAM_JOBS_URL:
    raise ImproperlyConfigured("TELEKAM_JOBS_URL must be a redis:// URL (or unset for SQLite)")
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "jobs.sqlite3")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("TELEKAM_LOG_LEVEL", "WARNING")},
    # the job runner logs through its own handler
    "loggers": {"huey": {"propagate": False}},
}

# Page size of list pages and list API calls.
TELEKAM_PAGE_SIZE = 25

# The fault hotline printed on delivery packages and warranty cards.
TELEKAM_FAULT_HOTLINE = env("TELEKAM_FAULT_HOTLINE", "10000")
