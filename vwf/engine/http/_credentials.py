"""Access keys that the HTTP server accepts, read from a file or a variable."""

from __future__ import annotations

from pathlib import Path

from vwf.errors import ConfigError

ACCESS_KEYS_HELP = (
    "one access key per line as 'ACCESS_KEY_ID SECRET_KEY'; blank lines and "
    "lines starting with '#' are ignored"
)


def read_access_keys(path: Path) -> dict[str, str]:
    """Return the access key id -> secret key pairs stored in ``path``."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(
            f"cannot read access key file {path}: {exc.strerror}; "
            "check the path and its permissions"
        ) from exc
    return parse_access_keys(text, source=str(path))


def parse_access_keys(text: str, source: str) -> dict[str, str]:
    """Parse ``ACCESS_KEY_ID SECRET_KEY`` lines; ``source`` names the origin
    in errors. Secrets never appear in error messages."""
    keys: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ConfigError(
                f"invalid access key entry on line {number} of {source}: "
                f"expected 2 fields, found {len(parts)}; {ACCESS_KEYS_HELP}"
            )
        access_key, secret = parts
        if access_key in keys:
            raise ConfigError(
                f"access key {access_key!r} appears twice in {source} "
                f"(again on line {number}); keep one entry per key"
            )
        keys[access_key] = secret
    if not keys:
        raise ConfigError(f"no access keys found in {source}; {ACCESS_KEYS_HELP}")
    return keys
