"""Webhook delivery: a JSON POST signed with HMAC-SHA256 over the raw body.

A receiver verifies a delivery by computing
``"sha256=" + hmac_sha256(secret, body).hexdigest()`` over the exact bytes it
received and comparing it, in constant time, with the ``X-Vwf-Signature-256``
header.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from vwf.notify.errors import DeliveryError

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Vwf-Signature-256"
DELIVERY_HEADER = "X-Vwf-Delivery"
"""A stable id per media item and outcome, so a receiver can drop repeats."""


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    secret: str
    timeout: timedelta = timedelta(seconds=15)


def sign_body(secret: str, body: bytes) -> str:
    """Return the signature header value for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def post_webhook(
    settings: WebhookSettings, payload: dict[str, Any], delivery_id: str
) -> None:
    """POST ``payload`` as JSON, raising :class:`DeliveryError` unless the
    receiver responds with a 2xx status."""
    body = json.dumps(payload, sort_keys=True).encode()
    request = urllib.request.Request(
        settings.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_body(settings.secret, body),
            DELIVERY_HEADER: delivery_id,
            "User-Agent": "vwf-webhook",
        },
    )

    try:
        with urllib.request.urlopen(
            request, timeout=settings.timeout.total_seconds()
        ) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(
            f"webhook {settings.url} responded with HTTP {exc.code} to delivery "
            f"{delivery_id}; the stage retries"
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(
            f"webhook {settings.url} is unreachable for delivery {delivery_id}: "
            f"{exc}; the stage retries"
        ) from exc
