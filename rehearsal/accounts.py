"""The rehearsal's people: N referring doctors (one per centre, as in the network) created
through the same service as ``flask users create``, and a personal API token for each of
them and for the demo coordinator, as ``flask users token`` makes them. One process instead
of 2N+1 ``flask`` commands (each costs about two seconds to start on a small machine).

Prints JSON: the tokens, the solid-tumour board and the people expected in its room.
Run after ``flask demo load --create-known-passwords-in-production``.
"""

from __future__ import annotations

import argparse
import json
import secrets

from sqlalchemy import select

from telemed import create_app
from telemed.auth import service as users_service
from telemed.auth import tokens
from telemed.auth.models import User
from telemed.boards.models import Board
from telemed.centres.models import Centre
from telemed.core.transaction import unit_of_work
from telemed.extensions import db

BOARD = "Comité de tumores sólidos"
COORDINATOR = "coordinador@demo.telemed.mx"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--doctors", type=int, required=True)
    args = parser.parse_args()
    app = create_app()
    with app.app_context(), unit_of_work():
        codes = db.session.scalars(
            select(Centre.code).where(Centre.code.like("OC-%")).order_by(Centre.code)
        ).all()
        doctors = []
        for number in range(args.doctors):
            user = users_service.create_user(
                None,
                {
                    "email": f"referente{number + 1}@ensayo.telemed.mx",
                    "name": f"Dra. Referente {number + 1}",
                    "role": "referring",
                    "centre_code": codes[number % len(codes)],
                    "discipline": None,
                    "password": secrets.token_urlsafe(24),
                },
            )
            _token, secret = tokens.create_token(user, "Ensayo de producción")
            doctors.append({"email": user.email, "token": secret})
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR))
        board = db.session.scalar(select(Board).where(Board.name == BOARD))
        if coordinator is None or board is None:
            raise SystemExit("run `flask demo load --create-known-passwords-in-production` first")
        _token, coordinator_secret = tokens.create_token(coordinator, "Ensayo de producción")
        print(
            json.dumps(
                {
                    "doctors": doctors,
                    "coordinator": coordinator_secret,
                    "board_id": board.id,
                    "members": [member.user_id for member in board.members],
                }
            )
        )


if __name__ == "__main__":
    main()
