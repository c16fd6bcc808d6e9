"""Fixtures for notification tests: a library with one finished video, and real
SMTP and HTTP receivers on loopback. Loaded as a plugin by ``tests/conftest.py``."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from tests.ports import free_port
from vwf.library import Face, Library, MediaStatus, Person, RecognitionResult


@dataclass
class Inbox:
    """Messages an aiosmtpd server on loopback accepted."""

    messages: list[bytes] = field(default_factory=list)
    refuse: bool = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.refuse:
            return "451 try again later"
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@dataclass
class WebhookReceiver:
    url: str
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 204


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver: WebhookReceiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.requests.append((dict(self.headers), body))
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = WebhookReceiver(url=f"http://127.0.0.1:{server.server_port}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def notify_library(sqlite_url: str) -> Iterator[Library]:
    library = Library(sqlite_url)
    library.migrate()
    yield library
    library.dispose()


@dataclass(frozen=True)
class FinishedVideo:
    owner_id: uuid.UUID
    media_id: uuid.UUID


@pytest.fixture
def finished_video(notify_library: Library) -> FinishedVideo:
    """A visible video with one known and one new person."""
    library = notify_library
    user = library.users.get_or_create("ada@example.com")
    media = library.media.create(
        user.id, content_hash="ab" * 32, source="/videos/party.mp4", title="Party"
    )
    library.media.set_status(user.id, media.id, MediaStatus.VISIBLE)
    with library.session() as session:
        grace = Person(owner_id=user.id, name="Grace Hopper")
        stranger = Person(owner_id=user.id)
        session.add_all([grace, stranger])
        session.flush()
        for second, person, result in [
            (0.5, grace, RecognitionResult.MACHINE_RECOGNIZED),
            (1.0, grace, RecognitionResult.MACHINE_RECOGNIZED),
            (7.0, grace, RecognitionResult.MACHINE_RECOGNIZED),
            (3.0, stranger, RecognitionResult.NEW_FACE),
        ]:
            session.add(
                Face(
                    owner_id=user.id,
                    media_id=media.id,
                    track_id=1,
                    time_seconds=second,
                    box_x=0,
                    box_y=0,
                    box_w=80,
                    box_h=80,
                    person_id=person.id,
                    recognition=result,
                )
            )
    return FinishedVideo(owner_id=user.id, media_id=media.id)
