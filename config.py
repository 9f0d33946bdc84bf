"""Configuration classes. Every setting comes from a ``TELEMED_*`` environment variable.

The README lists the variables; keep that table and this module in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, overload
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("TELEMED_INSTANCE_PATH", BASE_DIR / "instance"))


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run safely; the message is one clear line."""


@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: None = None) -> str | None: ...


def env(name: str, default: str | None = None) -> str | None:
    """Read ``TELEMED_<name>``; an empty value counts as unset."""
    value = os.environ.get(f"TELEMED_{name}")
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    value = env(name)
    return int(value) if value is not None else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_words(name: str, default: str) -> tuple[str, ...]:
    """A comma-separated list of words, e.g. ``admin,coordinator``; ``none`` is the empty list."""
    words = tuple(part.strip().lower() for part in env(name, default).split(",") if part.strip())
    return () if words == ("none",) else words


def env_secrets(name: str) -> list[str]:
    """Secrets separated by spaces or commas, their case kept (random keys have neither)."""
    return (env(name) or "").replace(",", " ").split()


def env_ints(name: str, default: str) -> tuple[int, ...]:
    """A comma-separated list of whole numbers, e.g. ``24,1``."""
    return tuple(int(part) for part in env(name, default).split(",") if part.strip())


DEFAULT_BASE_URL = "http://127.0.0.1:5000"
ROLES = ("referring", "specialist", "coordinator", "admin")  # telemed.auth.models.Role
NO_ADDRESS = ("", "http", "/")
DEVELOPMENT_SECRET_KEY = "dev-only-not-secret"
TESTING_SECRET_KEY = "testing-secret"
# Keys anyone can read in this repository (defaults, tests, examples in the docs): a forged
# session cookie signed with one of them opens every page, so production refuses them.
# (Each is also short; the list keeps refusing them should a longer example be published.)
PUBLISHED_SECRET_KEYS = frozenset({DEVELOPMENT_SECRET_KEY, TESTING_SECRET_KEY, "s3cret-for-test"})
MIN_SECRET_KEY_BYTES = 32
ATTACHMENT_STORES = ("local", "database", "postgresql")  # telemed.cases.storage
LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_METRICS_TOKEN_CHARACTERS = 32
IMAP_SECURITY = ("ssl", "starttls", "none")  # telemed.invites.replies


def url_settings(base_url: str) -> tuple[str, str, str]:
    """Flask's ``SERVER_NAME``, ``PREFERRED_URL_SCHEME`` and ``APPLICATION_ROOT`` from the
    service's public address, so links in emails (built from the URL map, never from a
    request's Host header) point there. An address that is not an absolute http(s) URL gives
    an empty ``SERVER_NAME``, which ``validate`` refuses in one line."""
    parts = urlsplit(base_url.strip())
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return NO_ADDRESS
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or parts.netloc.endswith(":")
        or parts.query
        or parts.fragment
    ):
        return NO_ADDRESS
    return parts.netloc.lower(), parts.scheme, parts.path.rstrip("/") or "/"


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    # Production reads it without a default (``validate`` refuses a missing or weak one).
    SECRET_KEY: str | None = env("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    # Rotation: the previous key(s) still open what they signed or sealed (logins, second
    # factors) until removed; new cookies and secrets use SECRET_KEY.
    SECRET_KEY_FALLBACKS = env_secrets("SECRET_KEY_FALLBACKS")
    SQLALCHEMY_DATABASE_URI: str | None = env(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'telemed.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    INSTANCE_PATH = str(INSTANCE_DIR)
    # Where attachment bytes live: "local" (ATTACHMENT_DIR, one machine) or "database" (also
    # "postgresql": the service's database, so that every web server serves every file).
    ATTACHMENT_STORE = env("ATTACHMENT_STORE", "local")
    ATTACHMENT_DIR = env("ATTACHMENT_DIR", str(INSTANCE_DIR / "attachments"))
    MAX_ATTACHMENT_BYTES = env_int("MAX_ATTACHMENT_MB", 20) * 1024 * 1024
    # Whole-request ceiling: one attachment plus the form around it.
    MAX_CONTENT_LENGTH = MAX_ATTACHMENT_BYTES + 1024 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Login sessions live in the database (telemed.auth.sessions): an idle one ends after
    # SESSION_IDLE_MINUTES, any one after SESSION_MAX_HOURS, remember-me cookie or not.
    SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
    SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)
    REMEMBER_COOKIE_DURATION = timedelta(hours=SESSION_MAX_HOURS)
    # Roles that must log in with a second factor (TOTP); the others may choose to.
    REQUIRE_2FA_ROLES = env_words("REQUIRE_2FA_ROLES", "none")
    # Creating an API token needs a second-factor check this recent (minutes).
    RECENT_2FA_MINUTES = env_int("RECENT_2FA_MINUTES", 15)

    WTF_CSRF_TIME_LIMIT = None  # a case form may stay open for a long consultation

    BABEL_DEFAULT_LOCALE = env("DEFAULT_LOCALE", "es_MX")
    BABEL_DEFAULT_TIMEZONE = env("DEFAULT_TIMEZONE", "America/Mexico_City")
    LANGUAGES = ("es_MX", "en")

    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "10 per minute")
    LOGIN_RATE_LIMIT_PER_ACCOUNT = env("LOGIN_RATE_LIMIT_PER_ACCOUNT", "5 per minute")
    # How many reverse proxies in front of the service add X-Forwarded-For/-Proto/-Host/-Port;
    # 0 ignores those headers (a client could otherwise choose its own address).
    PROXY_HOPS = env_int("PROXY_HOPS", 0)

    PAGE_SIZE = env_int("PAGE_SIZE", 25)

    # Operations (telemed.ops): log lines as JSON objects or plain text, their threshold, and
    # the bearer token Prometheus sends for /metrics (unset: 404 in production, 127.0.0.1
    # only elsewhere).
    LOG_FORMAT = env("LOG_FORMAT", "text")
    LOG_LEVEL = env("LOG_LEVEL", "INFO").upper()
    METRICS_TOKEN = env("METRICS_TOKEN")

    # The public address in emails' links: host (and port), scheme and path of the service.
    BASE_URL: str | None = env("BASE_URL", DEFAULT_BASE_URL)
    SERVER_NAME, PREFERRED_URL_SCHEME, APPLICATION_ROOT = url_settings(BASE_URL or DEFAULT_BASE_URL)
    MAIL_FROM = env("MAIL_FROM", "Comité de tumores <no-reply@telemed.local>")
    MAIL_DOMAIN = env("MAIL_DOMAIN", "telemed.local")
    OUTBOX_DIR = env("OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
    MAIL_TRANSPORT = env("MAIL_TRANSPORT", "file")  # file (.eml under OUTBOX_DIR) or smtp
    SMTP_HOST = env("SMTP_HOST")
    SMTP_PORT = env_int("SMTP_PORT", 587)
    SMTP_SECURITY = env("SMTP_SECURITY", "starttls")  # none, starttls or ssl
    SMTP_USERNAME = env("SMTP_USERNAME")
    SMTP_PASSWORD = env("SMTP_PASSWORD")
    SMTP_TIMEOUT = env_int("SMTP_TIMEOUT", 10)  # seconds
    # Answers from calendar clients (telemed.invites.replies): invites name ITIP_ADDRESS as
    # their ORGANIZER, so "Accept" in Outlook, Gmail or Apple Calendar mails it there, and a
    # job reads that mailbox over IMAP. Unset: invites say RSVP=FALSE (answer by the links).
    ITIP_ADDRESS = env("ITIP_ADDRESS")
    IMAP_HOST = env("IMAP_HOST")
    IMAP_PORT = env_int("IMAP_PORT", 0)  # 0: 993 with ssl, 143 otherwise
    IMAP_SECURITY = env("IMAP_SECURITY", "ssl")  # ssl, starttls or none
    IMAP_USERNAME = env("IMAP_USERNAME")  # unset: ITIP_ADDRESS
    IMAP_PASSWORD = env("IMAP_PASSWORD")
    IMAP_MAILBOX = env("IMAP_MAILBOX", "INBOX")
    IMAP_TIMEOUT = env_int("IMAP_TIMEOUT", 30)  # seconds
    IMAP_EVERY_MINUTES = env_int("IMAP_EVERY_MINUTES", 2)
    SCHEDULE_HORIZON_WEEKS = env_int("SCHEDULE_HORIZON_WEEKS", 8)
    ASSIGN_EVERY_MINUTES = env_int("ASSIGN_EVERY_MINUTES", 5)
    SCHEDULER_LEASE_SECONDS = env_int("SCHEDULER_LEASE_SECONDS", 45)
    # On SIGTERM/SIGINT the scheduler waits this long for running jobs to finish, then asks
    # them to stop at their next checkpoint; it releases the lease once none runs.
    SCHEDULER_STOP_SECONDS = env_int("SCHEDULER_STOP_SECONDS", 30)
    # Hours before a session when attendees who did not decline get a reminder email.
    REMINDER_HOURS = env_ints("REMINDER_HOURS", "24,1")
    LOAD_DEMO_DATA = False

    API_TITLE = "telemed API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = True
    LOAD_DEMO_DATA = True


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = TESTING_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = os.environ.get("TELEMED_TEST_DATABASE_URL") or "sqlite://"
    WTF_CSRF_ENABLED = False
    LOG_LEVEL = env("LOG_LEVEL", "WARNING").upper()  # Python's default: no access lines
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_TRANSPORT = "file"  # never a real mail server from the test suite


class ProductionConfig(Config):
    ENV_NAME = "production"
    SECRET_KEY = env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = env("DATABASE_URL")
    # No default: a forgotten address would send every email's links to 127.0.0.1.
    BASE_URL = env("BASE_URL")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REQUIRED = (
        ("SECRET_KEY", "SECRET_KEY"),
        ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"),
        ("BASE_URL", "BASE_URL"),
    )
    REQUIRE_2FA_ROLES = env_words("REQUIRE_2FA_ROLES", "admin,coordinator")
    STRONG_SECRET_KEY = True
    LOG_FORMAT = env("LOG_FORMAT", "json")
    # A failed statement's message names the statement, not its values (which may be a
    # patient's record number): it goes to the log.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}


def weak_secret_key(key: str) -> bool:
    """A key anyone can read here, or one short enough to guess, lets whoever has it forge a
    session cookie for any account."""
    key = key.strip()
    return key in PUBLISHED_SECRET_KEYS or len(key.encode()) < MIN_SECRET_KEY_BYTES


def validate(config: Mapping[str, Any]) -> None:
    """Refuse settings that cannot run safely (a missing variable, a secret key anyone could
    know, an address that is not one), in one line naming the variable."""
    missing = [f"TELEMED_{var}" for var, key in config.get("REQUIRED", ()) if not config.get(key)]
    if missing:
        names = " and ".join(filter(None, (", ".join(missing[:-1]), missing[-1])))
        raise ConfigError(f"telemed refuses to start in {config['ENV_NAME']}: set {names}.")
    keys = (("SECRET_KEY", [config.get("SECRET_KEY") or ""]),
            ("SECRET_KEY_FALLBACKS", config.get("SECRET_KEY_FALLBACKS") or []))  # fmt: skip
    weak = [var for var, values in keys if any(weak_secret_key(value) for value in values)]
    if config.get("STRONG_SECRET_KEY") and weak:
        raise ConfigError(
            f"telemed refuses to start in {config['ENV_NAME']}: TELEMED_{weak[0]} holds a "
            f"published example or a key shorter than {MIN_SECRET_KEY_BYTES} bytes; set a random "
            "one, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))'."
        )
    unknown = set(config.get("REQUIRE_2FA_ROLES", ())) - set(ROLES)
    if unknown:
        raise ConfigError(
            f"TELEMED_REQUIRE_2FA_ROLES names no role {', '.join(sorted(unknown))}: use"
            f" {', '.join(ROLES)} or none."
        )
    if str(config.get("ATTACHMENT_STORE", "local")).strip().lower() not in ATTACHMENT_STORES:
        raise ConfigError(
            f"TELEMED_ATTACHMENT_STORE must be local or database (or postgresql); got "
            f"{config.get('ATTACHMENT_STORE')!r}."
        )
    if config.get("LOG_FORMAT", "text") not in LOG_FORMATS:
        raise ConfigError(f"TELEMED_LOG_FORMAT must be json or text; got {config['LOG_FORMAT']!r}.")
    if config.get("LOG_LEVEL", "INFO") not in LOG_LEVELS:
        level, levels = config["LOG_LEVEL"], ", ".join(LOG_LEVELS)
        raise ConfigError(f"TELEMED_LOG_LEVEL must be one of {levels}; got {level!r}.")
    token = config.get("METRICS_TOKEN")
    if config.get("STRONG_SECRET_KEY") and token and len(token) < MIN_METRICS_TOKEN_CHARACTERS:
        raise ConfigError(
            f"telemed refuses to start in {config['ENV_NAME']}: TELEMED_METRICS_TOKEN is shorter "
            f"than {MIN_METRICS_TOKEN_CHARACTERS} characters; set a random one, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'."
        )
    validate_itip(config)
    if not config.get("SERVER_NAME"):
        raise ConfigError(
            "TELEMED_BASE_URL must be the service's public address, an absolute http(s) URL "
            "such as https://telemed.example.mx (no query or fragment)."
        )


def validate_itip(config: Mapping[str, Any]) -> None:
    """A service mailbox without a server to read it (or the reverse) would let calendar
    clients offer answers that nobody reads: refuse it at start-up."""
    address, host = config.get("ITIP_ADDRESS"), config.get("IMAP_HOST")
    if address and not host:
        raise ConfigError("TELEMED_ITIP_ADDRESS is set: also set TELEMED_IMAP_HOST to read it.")
    if host and not address:
        raise ConfigError("TELEMED_IMAP_HOST is set: also set TELEMED_ITIP_ADDRESS, its address.")
    if address and ("@" not in address or any(c.isspace() or c in '<>"' for c in address)):
        raise ConfigError(
            "TELEMED_ITIP_ADDRESS must be a plain address such as itip@example.org; "
            f"got {address!r}."
        )
    security = str(config.get("IMAP_SECURITY") or "ssl").lower()
    if host and security not in IMAP_SECURITY:
        raise ConfigError(f"TELEMED_IMAP_SECURITY must be ssl, starttls or none; got {security!r}.")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_class(name: str | None = None) -> type[Config]:
    """Pick the class named by ``name`` or ``TELEMED_ENV`` (default: development)."""
    name = name or env("ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(
            f"TELEMED_ENV must be one of {', '.join(CONFIGS)}; got {name!r}."
        ) from None
