"""Exceptions raised by the engine's HTTP server.

Tree::

    VwfError
    +-- EngineHttpError             any error of the HTTP server
        +-- InsecureListenError     non-loopback address without credentials
        +-- AuthenticationError     a request failed SigV4 verification
            +-- MissingAuthenticationTokenError
            +-- IncompleteSignatureError
            +-- UnrecognizedClientError
            +-- InvalidSignatureError

Each :class:`AuthenticationError` carries the AWS error code and HTTP status
that the server sends back in the JSON error body.
"""

from __future__ import annotations

from vwf.errors import VwfError


class EngineHttpError(VwfError):
    """Base class of the HTTP server's errors."""


class InsecureListenError(EngineHttpError):
    """The server was asked to listen on a non-loopback address with no
    credentials, which would let anyone on the network drive the engine."""


class AuthenticationError(EngineHttpError):
    """A request carries no valid AWS Signature Version 4."""

    code = "AccessDeniedException"
    status = 400


class MissingAuthenticationTokenError(AuthenticationError):
    """The request has no ``Authorization`` header."""

    code = "MissingAuthenticationTokenException"
    status = 403


class IncompleteSignatureError(AuthenticationError):
    """The ``Authorization`` or ``X-Amz-Date`` header is malformed."""

    code = "IncompleteSignatureException"


class UnrecognizedClientError(AuthenticationError):
    """The access key is not among the server's credentials."""

    code = "UnrecognizedClientException"


class InvalidSignatureError(AuthenticationError):
    """The signature does not match the request, or its date is too far off."""

    code = "InvalidSignatureException"
