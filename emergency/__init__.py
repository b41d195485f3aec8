"""Emergency-plan registry and drill scheduler."""

import os
import secrets
from pathlib import Path

from flask import Flask

from config import CONFIGS, Config


def create_app(config=None) -> Flask:
    """Build the application from a config class, a dict of overrides, or the environment."""
    app = Flask(__name__, template_folder="../templates", instance_relative_config=True)
    _load_config(app, config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _ensure_secret_key(app)
    app.config.setdefault("UPLOAD_ROOT", None)
    if not app.config["UPLOAD_ROOT"]:
        app.config["UPLOAD_ROOT"] = os.path.join(app.instance_path, "uploads")

    from emergency.setup import register_everything

    register_everything(app)
    return app


def _load_config(app: Flask, config) -> None:
    base = CONFIGS[os.environ.get("EMERGENCY_ENV", "development")]
    if isinstance(config, type) and issubclass(config, Config):
        base, config = config, None
    app.config.from_object(base)
    if isinstance(config, dict):
        app.config.update(config)


def _ensure_secret_key(app: Flask) -> None:
    """Use the configured secret, or (embedded default only) one generated once per instance.

    Every worker and every restart must share the key, otherwise sessions and CSRF tokens
    signed by one process are rejected by the next.
    """
    if app.config.get("SECRET_KEY") or app.config["ENV_NAME"] == "production":
        return
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # atomic create-if-absent: concurrent workers agree on one key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    app.config["SECRET_KEY"] = path.read_text().strip()
