"""Settings, one class per environment. Values come from the environment where a deployment sets them."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("DXT_INSTANCE_PATH", BASE_DIR / "instance"))


def _development_secret_key() -> str:
    """A key generated once into instance/ so sessions survive restarts of the development server."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def database_url(url: str) -> str:
    """SQLAlchemy URL for a DATABASE_URL as hosts write it (postgres:// → the psycopg 3 driver)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


class Config:
    """Shared defaults; every environment inherits these."""

    ENV_NAME = "base"
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'dxtraining.sqlite'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Seconds a writer waits for SQLite's lock, and PostgreSQL's lock_timeout for seat locks.
    DB_LOCK_TIMEOUT = float(os.environ.get("DB_LOCK_TIMEOUT", "10"))

    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
    LANGUAGES = ("ja", "en")

    # Sessions and remember-me: HttpOnly and SameSite=Lax everywhere, Secure outside development.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    # Rate limits: storage is Redis when several workers run, in-process memory otherwise.
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    SIGNIN_LIMIT_PER_ACCOUNT = os.environ.get("SIGNIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    SIGNIN_LIMIT_PER_ADDRESS = os.environ.get("SIGNIN_LIMIT_PER_ADDRESS", "30 per 15 minutes")

    # How long emailed links stay valid.
    INVITATION_MAX_AGE = timedelta(days=14)
    PASSWORD_RESET_MAX_AGE = timedelta(hours=2)
    EMAIL_CONFIRMATION_MAX_AGE = timedelta(days=2)

    # Mail: with no MAIL_SERVER, messages go to the console and instance/outbox/ as .eml files.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USE_STARTTLS = _bool("MAIL_USE_STARTTLS", True)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "DX研修事務局 <dx-training@localhost>")
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "6"))
    MAIL_ECHO = _bool("MAIL_ECHO", True)  # print each message on the console when no SMTP server is set

    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "https")
    SERVER_NAME = os.environ.get("SERVER_NAME") or None

    MAX_CONTENT_LENGTH = 5 * 1024 * 1024  # CSV uploads of a municipality's staff are far below this
    MAX_CSV_ROWS = 5000


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = True
    SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret_key()
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    # Links in mail written outside a request (periodic jobs) point at the development server.
    SERVER_NAME = os.environ.get("SERVER_NAME") or f"127.0.0.1:{os.environ.get('PORT', '5000')}"


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    PREFERRED_URL_SCHEME = "http"
    SERVER_NAME = "localhost"
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = ""
    MAIL_OUTBOX_DIR = ""  # tests read the message table; no files
    MAIL_ECHO = False
    PASSWORD_HASH_FAST = True  # argon2 with small parameters so the suite stays fast


class ProductionConfig(Config):
    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    # Secure cookies need HTTPS; only a closed benchmark on loopback turns this off.
    SESSION_COOKIE_SECURE = REMEMBER_COOKIE_SECURE = _bool("COOKIE_SECURE", True)

    @classmethod
    def check(cls) -> None:
        """Refuse to start with settings that would be unsafe in production."""
        if len(cls.SECRET_KEY) < 32:
            raise RuntimeError("SECRET_KEY must be set to a random value of at least 32 characters.")


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}


def config_from_env() -> type[Config]:
    """The class named by DXT_ENV (development when unset)."""
    name = os.environ.get("DXT_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"DXT_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
