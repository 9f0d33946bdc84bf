"""Board and invite fixtures shared by this folder's tests."""

from tests.invites.helpers import (  # noqa: F401  (fixtures for this folder)
    guest,
    invited,
    member,
    panel,
)
from tests.scenes.boards import (  # noqa: F401  (fixtures for this folder)
    accept,
    accepted,
    board,
    chair,
    make_board,
    send,
)
