"""Configuration classes; every setting can be overridden from the environment."""

import os


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    """The embedded default: SQLite in the instance folder, a secret generated once."""

    ENV_NAME = "default"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # A relative sqlite:/// path resolves inside the instance folder (Flask-SQLAlchemy 3).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///emergency.db")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = 15000
    UPLOAD_ROOT = os.environ.get("UPLOAD_ROOT")  # default: <instance>/uploads
    MAX_CONTENT_LENGTH = _env_int("MAX_UPLOAD_MB", 50) * 1024 * 1024

    # Intranet over plain HTTP is the common case; a Secure cookie would never be stored there.
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 0
    PERMANENT_SESSION_LIFETIME = _env_int("SESSION_HOURS", 8) * 3600
    # Staff edit long plans; an hourly CSRF expiry would lose their work. The session bounds it.
    WTF_CSRF_TIME_LIMIT = None

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    BOOTSTRAP_SERVE_LOCAL = True

    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_MAX_FAILURES_PER_IP = _env_int("LOGIN_MAX_FAILURES_PER_IP", 30)
    LOGIN_LOCK_MINUTES = _env_int("LOGIN_LOCK_MINUTES", 15)

    PASSWORD_HASH_METHOD = "scrypt:32768:8:1"

    #: Filing numbers: region_code is the unit's county code, seq restarts every year.
    FILING_NUMBER_PATTERN = os.environ.get("FILING_NUMBER_PATTERN", "{region_code}-{year}-{seq:04d}")

    PAGE_SIZE = 50
    API_PAGE_SIZE_MAX = 200

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "noreply@yjj.local")

    SCHEDULER_ENABLED = False

    API_TITLE = "Emergency plan registry API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


class DevelopmentConfig(Config):
    """What `make run` uses: the embedded default plus template reloading."""

    ENV_NAME = "development"
    TEMPLATES_AUTO_RELOAD = True


class TestingConfig(Config):
    """Tests: a database given by TEST_DATABASE_URL (PostgreSQL in CI) or a temporary SQLite file."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    # Hashing is deliberately slow in production; tests create hundreds of users.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"


class ProductionConfig(Config):
    """Production: the secret must come from the environment and debug can never be on."""

    ENV_NAME = "production"


#: A session-signing key shorter than this can be guessed offline from one cookie.
MIN_SECRET_KEY_LENGTH = 32
#: Keys published in this repository or in tutorials: anyone could forge sessions with them.
KNOWN_SECRET_KEYS = frozenset({
    TestingConfig.SECRET_KEY, "dev", "development", "secret", "secret-key", "secret_key",
    "changeme", "change-me", "change_me", "please-change-me", "your-secret-key", "your_secret_key",
    "super-secret", "supersecret", "default", "flask", "test", "testing", "x",
})


def production_problems(config, debug: bool) -> list[str]:
    """Return why these settings must not serve production (empty when they may).

    The Werkzeug debugger runs any code a visitor sends, and a missing, short or published
    SECRET_KEY lets anyone forge a session cookie, i.e. log in as any user.
    """
    problems = []
    if debug or config.get("DEBUG") or _env_bool("FLASK_DEBUG", False):
        problems.append("Debug mode must never run in production (the debugger executes code).")
    key = config.get("SECRET_KEY")
    if not key:
        problems.append("SECRET_KEY must be set in the environment for production.")
    elif isinstance(key, str | bytes) and (
            len(key) < MIN_SECRET_KEY_LENGTH
            or (key.decode(errors="replace") if isinstance(key, bytes) else key).strip().lower()
            in KNOWN_SECRET_KEYS):
        problems.append(
            f"SECRET_KEY is too weak for production: use at least {MIN_SECRET_KEY_LENGTH} random "
            "characters, e.g. python -c 'import secrets; print(secrets.token_hex(32))'.")
    return problems


def check_production(app) -> None:
    """Refuse to build a production app with debug on or a missing or weak SECRET_KEY."""
    if app.config.get("ENV_NAME") != "production":
        return
    problems = production_problems(app.config, app.debug)
    if problems:
        raise RuntimeError(" ".join(problems))


CONFIGS = {
    "default": Config,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
