"""Settings shared by every vwf process.

Values come from, in increasing priority: the defaults below, the TOML file
``$VWF_HOME/vwf.toml`` (or the file named by ``VWF_CONFIG``), and ``VWF_*``
environment variables. :func:`load_settings` validates them once at start.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from vwf.errors import ConfigError

DEFAULT_HOME = Path.home() / ".local" / "share" / "vwf"


@dataclass(frozen=True)
class Settings:
    """Validated configuration of one vwf deployment."""

    home: Path
    """Data directory: databases, media files and logs of the embedded setup."""
    database_url: str
    """SQLAlchemy URL of the workflow engine's database."""
    library_url: str
    """SQLAlchemy URL of the application database (users, media, faces)."""
    storage_url: str
    """Blob store: ``file:///path`` or ``s3://bucket/prefix``."""
    swf_endpoint: str | None = None
    """SWF endpoint URL, or ``aws`` for AWS SWF. ``None`` runs the embedded engine."""
    swf_region: str = "us-east-1"
    domain: str = "vwf"
    deployment: str = ""
    """Suffix for task lists and type names, e.g. ``staging``."""
    timeout_scale: float = 1.0
    """Factor for every stage timeout of the video workflow, e.g. 0.01 in tests
    that kill workers, or 3 on a slow host."""
    smtp_host: str | None = None
    """SMTP server for notification emails; ``None`` sends no email."""
    smtp_port: int = 25
    smtp_security: str = "none"
    """``none``, ``starttls`` (usually port 587) or ``ssl`` (usually port 465)."""
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = "vwf@localhost"
    """Sender address of notification emails."""
    webhook_url: str | None = None
    """URL that gets a JSON POST when a video completes or fails."""
    webhook_secret: str | None = None
    """Key of the HMAC-SHA256 signature sent with each webhook POST."""


def _defaults(home: Path) -> dict[str, object]:
    return {
        "home": home,
        "database_url": f"sqlite:///{home / 'engine.db'}",
        "library_url": f"sqlite:///{home / 'library.db'}",
        "storage_url": (home / "media").as_uri(),
    }


def load_settings(environ: dict[str, str] | None = None, **overrides) -> Settings:
    """Build :class:`Settings` from defaults, the config file, the environment and
    ``overrides`` (highest priority, ``None`` values ignored)."""
    environ = dict(os.environ if environ is None else environ)
    home = Path(environ.get("VWF_HOME") or overrides.get("home") or DEFAULT_HOME)
    values: dict[str, object] = _defaults(home)
    values.update(_read_file(Path(environ.get("VWF_CONFIG", home / "vwf.toml"))))
    for field in fields(Settings):
        env_value = environ.get(f"VWF_{field.name.upper()}")
        if env_value:
            values[field.name] = _parse_env(field.name, field.type, env_value)
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["home"] = Path(values["home"]).expanduser()
    return _validate(Settings(**values))


def _parse_env(name: str, annotation: object, text: str) -> object:
    parsers = {"int": (int, "a whole number"), "float": (float, "a number")}
    if annotation not in parsers:
        return text
    parse, expected = parsers[annotation]
    try:
        return parse(text)
    except ValueError:
        raise ConfigError(
            f"invalid VWF_{name.upper()}={text!r}: expected {expected}"
        ) from None


def _read_file(path: Path) -> dict[str, object]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"cannot read config file {path}: {exc}. Fix or remove the file."
        ) from exc
    known = {f.name for f in fields(Settings)}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(
            f"unknown keys {sorted(unknown)} in config file {path}: "
            f"valid keys are {sorted(known)}"
        )
    return data


def _validate(settings: Settings) -> Settings:
    if not settings.storage_url.startswith(("file://", "s3://")):
        raise ConfigError(
            f"invalid storage_url {settings.storage_url!r}: use file:///path or s3://bucket/prefix"
        )
    if not settings.timeout_scale > 0:
        raise ConfigError(
            f"invalid timeout_scale {settings.timeout_scale!r}: use a number above 0"
        )
    if settings.smtp_security not in ("none", "starttls", "ssl"):
        raise ConfigError(
            f"invalid smtp_security {settings.smtp_security!r}: "
            "use none, starttls or ssl"
        )
    if settings.webhook_url and not settings.webhook_secret:
        raise ConfigError(
            f"webhook_url {settings.webhook_url!r} is set but webhook_secret is "
            "missing: set VWF_WEBHOOK_SECRET so receivers can verify the signature"
        )
    if settings.deployment and not settings.deployment.isalnum():
        raise ConfigError(
            f"invalid deployment {settings.deployment!r}: "
            "use letters and digits only, e.g. staging"
        )
    return replace(settings, deployment=settings.deployment.lower())
