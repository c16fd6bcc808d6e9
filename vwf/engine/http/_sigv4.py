"""Verification of AWS Signature Version 4 on incoming requests.

The verifier rebuilds the canonical request from what arrived on the wire,
signs it with the secret of the access key named in the ``Authorization``
header and compares the result with the client's signature in constant time.
The steps follow AWS's "Create a signed AWS API request" guide for SigV4 and
are tested against botocore's signer.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from vwf.engine.http.errors import (
    IncompleteSignatureError,
    InvalidSignatureError,
    MissingAuthenticationTokenError,
    UnrecognizedClientError,
)

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "swf"
MAX_CLOCK_SKEW = timedelta(minutes=15)
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_REQUIRED_SIGNED_HEADERS = ("host", "x-amz-date")


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP request as received, before any decoding."""

    method: str
    path: str
    """Request path without the query, still percent-encoded."""
    query: str
    headers: Sequence[tuple[str, str]]
    """Every header line in arrival order, repeated names included."""
    body: bytes


@dataclass(frozen=True)
class _Authorization:
    access_key: str
    scope_date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.scope_date}/{self.region}/{self.service}/aws4_request"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SigV4Verifier:
    """Checks requests signed for service ``swf`` in any region.

    ``credentials`` maps access key ids to secret keys. ``clock`` returns the
    current time as an aware datetime; tests inject a fixed one.
    """

    def __init__(
        self,
        credentials: Mapping[str, str],
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._credentials = dict(credentials)
        self._clock = clock

    def verify(self, request: SignedRequest) -> str:
        """Return the access key that signed ``request``.

        Raises a subclass of :class:`~vwf.engine.http.errors.AuthenticationError`
        when the signature is missing, malformed, made with an unknown key,
        wrong for this request or dated more than 15 minutes from now.
        """
        headers = _group_headers(request.headers)
        authorization = _parse_authorization(headers)
        request_time = _parse_request_time(headers, authorization)

        secret = self._credentials.get(authorization.access_key)
        if secret is None:
            raise UnrecognizedClientError(
                f"access key {authorization.access_key!r} is not configured on "
                "this server; add it to the server's access key file"
            )

        self._check_clock_skew(request_time)
        expected = _signature(secret, authorization, headers, request)
        if not hmac.compare_digest(expected, authorization.signature):
            raise InvalidSignatureError(
                "the request signature does not match the signature computed "
                "by the server; check the secret key and that nothing rewrote "
                "the request on the way"
            )
        return authorization.access_key

    def _check_clock_skew(self, request_time: datetime) -> None:
        now = self._clock()
        if request_time < now - MAX_CLOCK_SKEW:
            raise InvalidSignatureError(
                f"signature expired: X-Amz-Date {request_time:{_DATE_FORMAT}} "
                f"is more than 15 minutes before the server time "
                f"{now:{_DATE_FORMAT}}; sync the client's clock"
            )
        if request_time > now + MAX_CLOCK_SKEW:
            raise InvalidSignatureError(
                f"signature not yet current: X-Amz-Date "
                f"{request_time:{_DATE_FORMAT}} is more than 15 minutes after "
                f"the server time {now:{_DATE_FORMAT}}; sync the client's clock"
            )


def _group_headers(raw: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in raw:
        headers.setdefault(name.lower().strip(), []).append(value)
    return headers


def _parse_authorization(headers: dict[str, list[str]]) -> _Authorization:
    values = headers.get("authorization")
    if not values:
        raise MissingAuthenticationTokenError(
            "missing Authorization header: sign requests with AWS Signature "
            "Version 4, for example with boto3 and an access key of this server"
        )
    algorithm, _, rest = values[0].strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignatureError(
            f"unsupported signing algorithm {algorithm!r}; use {ALGORITHM}"
        )

    fields = _parse_fields(rest)
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise IncompleteSignatureError(
            f"invalid credential scope {fields['Credential']!r}; expected "
            "ACCESS_KEY/YYYYMMDD/REGION/swf/aws4_request"
        )
    if scope[3] != SERVICE:
        raise InvalidSignatureError(
            f"the request is signed for service {scope[3]!r}; sign it for {SERVICE!r}"
        )

    signed_headers = tuple(fields["SignedHeaders"].split(";"))
    for name in _REQUIRED_SIGNED_HEADERS:
        if name not in signed_headers:
            raise IncompleteSignatureError(
                f"SignedHeaders {fields['SignedHeaders']!r} lacks {name!r}; "
                "the signature must cover the host and X-Amz-Date headers"
            )
    return _Authorization(
        access_key=scope[0],
        scope_date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=signed_headers,
        signature=fields["Signature"],
    )


def _parse_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in text.split(","):
        key, separator, value = part.strip().partition("=")
        if separator:
            fields[key] = value
    missing = [
        k for k in ("Credential", "SignedHeaders", "Signature") if k not in fields
    ]
    if missing:
        raise IncompleteSignatureError(
            f"Authorization header lacks {', '.join(missing)}; expected "
            f"'{ALGORITHM} Credential=..., SignedHeaders=..., Signature=...'"
        )
    return fields


def _parse_request_time(
    headers: dict[str, list[str]], authorization: _Authorization
) -> datetime:
    values = headers.get("x-amz-date")
    if not values:
        raise IncompleteSignatureError(
            "missing X-Amz-Date header; signed requests must carry their "
            "signing time as YYYYMMDDTHHMMSSZ"
        )
    try:
        request_time = datetime.strptime(values[0].strip(), _DATE_FORMAT)
    except ValueError as exc:
        raise IncompleteSignatureError(
            f"invalid X-Amz-Date {values[0]!r}; use the form YYYYMMDDTHHMMSSZ"
        ) from exc
    if values[0].strip()[:8] != authorization.scope_date:
        raise InvalidSignatureError(
            f"credential scope date {authorization.scope_date!r} differs from "
            f"the day of X-Amz-Date {values[0]!r}"
        )
    return request_time.replace(tzinfo=UTC)


def _signature(
    secret: str,
    authorization: _Authorization,
    headers: dict[str, list[str]],
    request: SignedRequest,
) -> str:
    canonical_request = _canonical_request(authorization, headers, request)
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            headers["x-amz-date"][0].strip(),
            authorization.scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = _signing_key(secret, authorization)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def _signing_key(secret: str, authorization: _Authorization) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (
        authorization.scope_date,
        authorization.region,
        authorization.service,
        "aws4_request",
    ):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _canonical_request(
    authorization: _Authorization,
    headers: dict[str, list[str]],
    request: SignedRequest,
) -> str:
    # NOTE: the path is encoded once more but not normalized ("." and ".."
    # segments stay), which matches SDK signers only for plain paths. The
    # server accepts no path but "/", so other paths fail either way.
    lines = [
        request.method.upper(),
        quote(request.path or "/", safe="/~"),
        _canonical_query(request.query),
    ]
    for name in authorization.signed_headers:
        lines.append(f"{name}:{_canonical_header_value(headers, name)}")
    lines.append("")
    lines.append(";".join(authorization.signed_headers))
    lines.append(_payload_hash(headers, request.body))
    return "\n".join(lines)


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs = [pair.partition("=")[::2] for pair in query.split("&")]
    return "&".join(f"{key}={value}" for key, value in sorted(pairs))


def _canonical_header_value(headers: dict[str, list[str]], name: str) -> str:
    values = headers.get(name)
    if values is None:
        raise IncompleteSignatureError(
            f"signed header {name!r} is missing from the request"
        )
    return ",".join(" ".join(value.split()) for value in values)


def _payload_hash(headers: dict[str, list[str]], body: bytes) -> str:
    actual = hashlib.sha256(body).hexdigest()
    declared = headers.get("x-amz-content-sha256")
    if declared and declared[0].strip() != actual:
        raise InvalidSignatureError(
            "X-Amz-Content-SHA256 does not match the SHA-256 of the body; "
            "send the hex digest of the exact body bytes"
        )
    return actual
