"""Email checks of the users repository."""

import pytest

from vwf.library import LibraryError


@pytest.mark.parametrize(
    "email",
    ["a\n@b.com", "a@b.com;drop", "x@y@z", "@b.com", "a@", "a b@c.com", "a\x00@b.c"],
)
def test_get_or_create_rejects_invalid_email(library, email):
    with pytest.raises(LibraryError, match="invalid email"):
        library.users.get_or_create(email)


def test_get_or_create_rejects_overlong_email(library):
    with pytest.raises(LibraryError, match="longer than 254 characters"):
        library.users.get_or_create("x" * 300 + "@example.com")


def test_get_or_create_accepts_local_domain(library):
    user = library.users.get_or_create("Me@LocalHost")

    assert user.email == "me@localhost"
