"""Typed settings read from the environment.

Every setting has a safe default for the embedded set-up (`make run`): a SQLite file and a secret
key kept in the instance folder. Production sets DATABASE_URL (PostgreSQL), SECRET_KEY and
REDIS_URL.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the common way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_secret_key(instance_path: str) -> str:
    """Return the secret key kept in the instance folder, creating it on first run."""
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _public_limits(env: dict[str, str]) -> dict[str, str]:
    """The public writes' rate limits set in the environment (names and defaults: core/limits.py)."""
    from campaign.core.limits import DEFAULTS

    return {name: env[name] for name in DEFAULTS if env.get(name)}


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    redis_url: str | None = None
    session_cookie_secure: bool = False
    login_rate_limit: str = "10 per minute"
    login_account_rate_limit: str = "5 per minute;20 per hour"
    session_idle_minutes: int = 120
    default_locale: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    default_province_code: int = 75  # Đồng Nai
    proxy_fix: bool = False
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, instance_path: str, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        db_default = "sqlite:///" + str(Path(instance_path) / "campaign.sqlite3")
        return cls(
            database_url=normalise_database_url(env.get("DATABASE_URL") or db_default),
            secret_key=env.get("SECRET_KEY") or instance_secret_key(instance_path),
            redis_url=env.get("REDIS_URL") or None,
            session_cookie_secure=_bool(env.get("SESSION_COOKIE_SECURE")),
            login_rate_limit=env.get("LOGIN_RATE_LIMIT") or "10 per minute",
            login_account_rate_limit=env.get("LOGIN_ACCOUNT_RATE_LIMIT") or "5 per minute;20 per hour",
            session_idle_minutes=int(env.get("SESSION_IDLE_MINUTES") or 120),
            default_province_code=int(env.get("DEFAULT_PROVINCE_CODE") or 75),
            proxy_fix=_bool(env.get("PROXY_FIX")),
            extra=_public_limits(env),
        )

    def flask_config(self) -> dict:
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            # hide_parameters: a failed statement is logged without its values (names, phones, needs).
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
            "REDIS_URL": self.redis_url,
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            "RATELIMIT_HEADERS_ENABLED": True,
            # Redis unreachable: keep limiting, per process, in memory (Flask-Limiter logs a warning and
            # checks Redis again now and then); never turn a request into a 500 because of the limiter.
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            "RATELIMIT_SWALLOW_ERRORS": True,
            "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
            if self.redis_url else {},
            # Failed logins only: per address, and per account (whatever the address).
            "LOGIN_RATE_LIMIT": self.login_rate_limit,
            "LOGIN_ACCOUNT_RATE_LIMIT": self.login_account_rate_limit,
            # A logged-in session unused for this long ends (the next request goes to the login page).
            "SESSION_IDLE_MINUTES": self.session_idle_minutes,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.session_cookie_secure,
            "WTF_CSRF_TIME_LIMIT": 8 * 3600,
            "BABEL_DEFAULT_LOCALE": self.default_locale,
            "BABEL_DEFAULT_TIMEZONE": self.timezone,
            "LANGUAGES": {"vi": "Tiếng Việt", "en": "English"},
            "DEFAULT_PROVINCE_CODE": self.default_province_code,
            "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
            "PROXY_FIX": self.proxy_fix,
            **self.extra,
        }
