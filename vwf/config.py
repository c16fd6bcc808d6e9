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
            values[field.name] = env_value
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["home"] = Path(values["home"]).expanduser()
    return _validate(Settings(**values))


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
    if settings.deployment and not settings.deployment.isalnum():
        raise ConfigError(
            f"invalid deployment {settings.deployment!r}: "
            "use letters and digits only, e.g. staging"
        )
    return replace(settings, deployment=settings.deployment.lower())
