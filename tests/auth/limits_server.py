"""A second web server in a process of its own, sharing only the Redis store with the test's
server: ``python -m tests.auth.limits_server SETTINGS ATTEMPTS`` (both JSON) makes each
failed login attempt ``[address, email]`` and prints the answers' status codes as JSON.

Run apart because within one process every app shares Flask-Limiter's one extension object
(and so its storage): only another process shows that the count lives in Redis."""

from __future__ import annotations

import json
import sys

from telemed import create_app
from telemed.extensions import db


def main(settings: dict[str, object], attempts: list[tuple[str, str]]) -> list[int]:
    app = create_app("testing", settings)
    with app.app_context():
        db.create_all()  # its own database: the failed logins' audit entries
    statuses = []
    for address, email in attempts:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        response = client.post("/auth/login", data={"email": email, "password": "no-es-esta"})
        statuses.append(response.status_code)
    return statuses


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]), json.loads(sys.argv[2]))))
