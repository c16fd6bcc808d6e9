"""Payloads over SWF's 32,768-character limit, passed by reference.

An oversized input or result is written to the blob store and replaced by
``{"$ref": "swf-payloads/<workflow>/<run>/<name>.json"}``. Workers resolve
references in their input before the activity runs, so activities only ever
see plain JSON.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from vwf.workflow._wire import MAX_PAYLOAD, dumps
from vwf.workflow.errors import PayloadError

logger = logging.getLogger(__name__)

REF_KEY = "$ref"
PREFIX = "swf-payloads"


class BlobStore(Protocol):
    """The part of ``vwf.storage``'s store interface that payloads use."""

    def put_bytes(self, key: str, data: bytes) -> Any: ...

    def get_bytes(self, key: str) -> bytes: ...


class Payloads:
    """Encode and decode payloads, offloading large ones to ``store``."""

    def __init__(self, store: BlobStore | None) -> None:
        self._store = store

    def encode(
        self, value: Any, *, workflow_id: str, run_id: str, name: str, extra=None
    ) -> str:
        """Return ``value`` as JSON, or as a reference when the JSON is too long.

        ``extra`` keys are added next to the reference (they must stay small).
        """
        text = dumps(value)
        if len(text) <= MAX_PAYLOAD:
            return text
        if self._store is None:
            raise PayloadError(
                f"payload {name} of workflow {workflow_id} is {len(text)} characters, "
                f"over SWF's limit of {MAX_PAYLOAD}; configure a blob store "
                "(storage_url) so large payloads can be passed by reference"
            )
        # Amazon SWF run ids are base64 and may contain "/".
        key = f"{PREFIX}/{workflow_id}/{run_id.replace('/', '_')}/{name}.json"
        try:
            self._store.put_bytes(key, text.encode())
        except Exception as exc:
            raise PayloadError(f"cannot store payload {key}: {exc}") from exc
        logger.info("stored %d-character payload as %s", len(text), key)
        return dumps({REF_KEY: key, **(extra or {})})

    def resolve(self, value: Any) -> Any:
        """Return ``value`` with a top-level reference, and references in its
        top-level values, replaced by the stored JSON."""
        value = self._load_if_ref(value)
        if isinstance(value, dict):
            return {key: self._load_if_ref(item) for key, item in value.items()}
        return value

    def _load_if_ref(self, value: Any) -> Any:
        if not (isinstance(value, dict) and isinstance(value.get(REF_KEY), str)):
            return value
        key = value[REF_KEY]
        if self._store is None:
            raise PayloadError(
                f"payload reference {key} needs a blob store; configure storage_url"
            )
        try:
            loaded = json.loads(self._store.get_bytes(key))
        except Exception as exc:
            raise PayloadError(f"cannot read payload {key}: {exc}") from exc
        extra = {k: v for k, v in value.items() if k != REF_KEY}
        if extra and isinstance(loaded, dict):
            return {**loaded, **extra}
        return loaded
