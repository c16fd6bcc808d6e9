"""The per-user recognition turn: a durable lease row in ``recognition_locks``.

Recognition of one user's videos runs one at a time, so people in two videos
uploaded together are matched against each other instead of both becoming
new people. A worker takes the turn with an atomic insert, or with a
conditional update of an expired lease left by a killed worker. A worker that
finds the turn taken gets :class:`~vwf.faces.errors.UserBusyError` at once:
it does not wait for the holder to finish.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from vwf.faces._tables import RecognitionLock
from vwf.faces.errors import UserBusyError
from vwf.library import Library
from vwf.library._models import utcnow

logger = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=15)
"""Lease length; it must exceed the longest recognition run of one video."""
MAX_RETRY_AFTER = timedelta(seconds=30)
"""Longest suggested wait: a holder usually finishes well before its lease ends."""


@dataclass(frozen=True)
class Turn:
    """A held recognition turn; only its ``token`` can release it."""

    owner_id: uuid.UUID
    token: str
    expires_at: datetime


class RecognitionTurns:
    """Takes and releases the per-user recognition turn in the library."""

    def __init__(
        self,
        library: Library,
        *,
        lease: timedelta = DEFAULT_LEASE,
        clock: Callable[[], datetime] = utcnow,
        holder: str | None = None,
    ) -> None:
        self._library = library
        self._lease = lease
        self._clock = clock
        self._holder = holder or f"{socket.gethostname()}:{os.getpid()}"

    def acquire(self, owner_id: uuid.UUID) -> Turn:
        """Take the turn of ``owner_id`` or raise :class:`UserBusyError`."""
        now = self._clock()
        turn = Turn(owner_id, secrets.token_hex(16), now + self._lease)
        if self._insert(turn, now) or self._take_over_expired(turn, now):
            logger.debug("took recognition turn of user %s", owner_id)
            return turn
        raise self._busy_error(owner_id, now)

    def release(self, turn: Turn) -> None:
        """Give the turn back; a turn already taken over by another worker is kept."""
        with self._library.session() as session:
            session.execute(
                delete(RecognitionLock).where(
                    RecognitionLock.owner_id == turn.owner_id,
                    RecognitionLock.token == turn.token,
                )
            )

    def confirm(self, session: Session, turn: Turn) -> None:
        """Check inside ``session``'s transaction that ``turn`` is still held.

        Call it just before committing work done under the turn: a worker
        that outlived its lease may have lost the turn to another worker, and
        then raises :class:`UserBusyError` so its transaction rolls back.
        """
        held_token = session.scalar(
            select(RecognitionLock.token)
            .where(
                RecognitionLock.owner_id == turn.owner_id,
                RecognitionLock.token == turn.token,
            )
            .with_for_update()
        )
        if held_token is None:
            raise UserBusyError(
                f"the recognition turn of user {turn.owner_id} expired at "
                f"{turn.expires_at.isoformat()} and was taken over; retry later",
                retry_after=timedelta(seconds=1),
            )

    @contextmanager
    def hold(self, owner_id: uuid.UUID) -> Iterator[Turn]:
        """Hold the turn of ``owner_id`` for the duration of the block."""
        turn = self.acquire(owner_id)
        try:
            yield turn
        finally:
            self.release(turn)

    def _insert(self, turn: Turn, now: datetime) -> bool:
        row = RecognitionLock(
            owner_id=turn.owner_id,
            token=turn.token,
            holder=self._holder,
            acquired_at=now,
            expires_at=turn.expires_at,
        )
        try:
            with self._library.session() as session:
                session.add(row)
        except sqlalchemy.exc.IntegrityError:
            return False
        return True

    def _take_over_expired(self, turn: Turn, now: datetime) -> bool:
        statement = (
            update(RecognitionLock)
            .where(
                RecognitionLock.owner_id == turn.owner_id,
                RecognitionLock.expires_at <= now,
            )
            .values(
                token=turn.token,
                holder=self._holder,
                acquired_at=now,
                expires_at=turn.expires_at,
            )
        )
        with self._library.session() as session:
            took_over = session.execute(statement).rowcount == 1
        if took_over:
            logger.warning(
                "took over the expired recognition turn of user %s", turn.owner_id
            )
        return took_over

    def _busy_error(self, owner_id: uuid.UUID, now: datetime) -> UserBusyError:
        with self._library.session() as session:
            row = session.scalars(
                select(RecognitionLock).where(RecognitionLock.owner_id == owner_id)
            ).one_or_none()
        # The holder may have released the turn since the update; retry soon.
        expires_at = row.expires_at if row is not None else now
        holder = row.holder if row is not None else "unknown"
        retry_after = min(max(expires_at - now, timedelta(seconds=1)), MAX_RETRY_AFTER)
        return UserBusyError(
            f"user {owner_id} is being recognised by {holder} until "
            f"{expires_at.isoformat()}; retry later",
            retry_after=retry_after,
        )
