"""The operations settings are checked at start-up like the others: one clear line."""

from __future__ import annotations

import pytest

from config import ConfigError
from telemed import create_app

STRONG_KEY = "kQ2vX9-rT4mW7pZ1sY8uB3nF6hJ0cL5dA2gE9iK4oM7q"
PRODUCTION = {
    "SECRET_KEY": STRONG_KEY,
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "BASE_URL": "https://telemed.example.mx",
    "SERVER_NAME": "telemed.example.mx",
}


@pytest.mark.parametrize(
    ("setting", "wrong", "named"),
    [("LOG_FORMAT", "xml", "TELEMED_LOG_FORMAT"), ("LOG_LEVEL", "LOUD", "TELEMED_LOG_LEVEL")],
)
def test_a_log_setting_that_is_not_one_is_refused(setting: str, wrong: str, named: str):
    with pytest.raises(ConfigError, match=named):
        create_app("testing", {setting: wrong})


def test_production_refuses_a_guessable_metrics_token():
    with pytest.raises(ConfigError, match="TELEMED_METRICS_TOKEN"):
        create_app("production", {**PRODUCTION, "METRICS_TOKEN": "prometheus"})
