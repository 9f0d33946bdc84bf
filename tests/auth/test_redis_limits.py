"""Login limits across web servers: with ``TELEMED_RATELIMIT_STORAGE_URI=redis://…`` the
attempts made through one server count on every other (per address and per account), and a
limit lifts when its window ends in Redis.

Runs against the Redis server on this machine (``TELEMED_TEST_REDIS_URL``, default
``redis://127.0.0.1:6379/13``: a database of its own, keys under a prefix of this run, removed
afterwards). Skipped when Redis is not reachable, unless ``TELEMED_REQUIRE_REDIS=1`` (CI)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from telemed import create_app
from telemed.extensions import db, limiter

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TELEMED_TEST_REDIS_URL") or "redis://127.0.0.1:6379/13"
# Flask-Limiter keeps the first key prefix it is given for the life of the process: one per
# test run, so that two runs on one machine never count each other's attempts.
KEY_PREFIX = f"telemed-test-{os.getpid()}"


def redis_answers(url: str) -> str | None:
    """Why Redis cannot be used at ``url``, or ``None`` when it answers PING (checked over a
    plain socket, so a missing ``redis`` package fails the tests instead of skipping them)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError as err:
        return f"no Redis at {parts.hostname}:{parts.port or 6379} ({err})"
    return None if reply.startswith(b"+PONG") else f"Redis answered {reply!r} to PING"


@pytest.fixture
def redis_url() -> str:
    problem = redis_answers(REDIS_URL)
    if problem is not None:
        if os.environ.get("TELEMED_REQUIRE_REDIS") == "1":
            pytest.fail(f"TELEMED_REQUIRE_REDIS=1 but {problem}")
        pytest.skip(f"{problem}; start redis-server or set TELEMED_TEST_REDIS_URL")
    return REDIS_URL


@pytest.fixture
def redis_keys(redis_url: str) -> Iterator[Callable[[], dict[str, int]]]:
    """This run's limit keys in Redis and their time to live (ms); removed after the test."""
    import redis

    client = redis.Redis.from_url(redis_url)

    def keys() -> dict[str, int]:
        return {key.decode(): int(client.pttl(key)) for key in client.scan_iter(f"*{KEY_PREFIX}*")}

    yield keys
    for key in client.scan_iter(f"*{KEY_PREFIX}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def limited_server(
    app: Flask, redis_url: str, tmp_path: Path
) -> Iterator[Callable[..., tuple[Flask, dict[str, Any]]]]:
    """A web server whose login limits live in Redis, and the settings a second one needs."""
    made: list[Flask] = []

    def build(per_address: str, per_account: str) -> tuple[Flask, dict[str, Any]]:
        settings = {
            "RATELIMIT_STORAGE_URI": redis_url,
            "RATELIMIT_KEY_PREFIX": KEY_PREFIX,
            "LOGIN_RATE_LIMIT": per_address,
            "LOGIN_RATE_LIMIT_PER_ACCOUNT": per_account,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'first.sqlite3'}",
        }
        server = create_app("testing", settings)
        with server.app_context():
            db.create_all()
        made.append(server)
        return server, {**settings, "SQLALCHEMY_DATABASE_URI": "sqlite://"}

    yield build
    for server in made:
        with server.app_context():
            db.engine.dispose()
    # The extension is shared by every app of the process: give the suite's app back its
    # own in-memory store.
    limiter.init_app(app)
    limiter.reset()


def attempt(server: Flask, address: str, email: str) -> int:
    client: FlaskClient = server.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client.post("/auth/login", data={"email": email, "password": "no-es-esta"}).status_code


def on_second_server(settings: dict[str, Any], attempts: list[tuple[str, str]]) -> list[int]:
    """The answers a second web server, in its own process, gives to these attempts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEMED_")}
    done = subprocess.run(
        [sys.executable, "-m", "tests.auth.limits_server", json.dumps(settings),
         json.dumps(attempts)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    statuses: list[int] = json.loads(done.stdout.strip().splitlines()[-1])
    return statuses


def test_attempts_through_one_server_count_on_the_other(limited_server, redis_keys):
    first, settings = limited_server(per_address="6 per hour", per_account="3 per hour")
    victim = "dra.torres@hospital.test"
    # One account, tried from three addresses through the first server ...
    assert [attempt(first, f"10.0.0.{n}", victim) for n in (1, 2, 3)] == [401] * 3
    # ... and one address trying six accounts through it.
    assert [attempt(first, "10.9.9.9", f"adivina{n}@x.test") for n in range(6)] == [401] * 6
    assert redis_keys(), "the attempts were not counted in Redis"

    answers = on_second_server(
        settings,
        [
            ("10.0.0.4", victim),  # the account's fourth attempt, from a new address
            ("10.9.9.9", "otra@x.test"),  # the address's seventh attempt, on a new account
            ("10.9.9.8", "otra@x.test"),  # a colleague elsewhere is not locked out
            *[("10.9.9.8", f"otra{n}@x.test") for n in range(5)],
        ],
    )
    assert answers == [429, 429, 401, 401, 401, 401, 401, 401]

    # and back: the six attempts the second server saw from 10.9.9.8 count on the first
    assert attempt(first, "10.9.9.8", "ultima@x.test") == 429
    assert attempt(first, "10.9.9.7", "ultima@x.test") == 401


def test_a_limit_lifts_when_its_window_ends_in_redis(limited_server, redis_keys):
    first, _settings = limited_server(per_address="50 per hour", per_account="1 per 2 seconds")
    victim = "dra.torres@hospital.test"
    assert attempt(first, "10.1.1.1", victim) == 401
    assert attempt(first, "10.1.1.2", victim) == 429
    windows = [ttl for key, ttl in redis_keys().items() if "login:" in key]
    assert windows and all(0 < ttl <= 2000 for ttl in windows), windows

    time.sleep(max(windows) / 1000 + 0.05)  # the window's rest, at most 2 s

    assert not [key for key in redis_keys() if "login:" in key]
    assert attempt(first, "10.1.1.3", victim) == 401
