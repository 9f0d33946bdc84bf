"""Reading /metrics the way Prometheus does, for the tests of this folder."""

from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "metrics-token-for-the-test-suite-0123456789"
Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Series:
    """Every sample: (name, labels) -> value."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(series: Series, name: str, **labels: str) -> float | None:
    return series.get((name, frozenset(labels.items())))


def names(series: Series, name: str, label: str) -> set[str]:
    """The values ``label`` takes on the samples of ``name``."""
    return {dict(labels)[label] for sample, labels in series if sample == name}


def scrape(client: FlaskClient, token: str = TOKEN) -> tuple[str, Series]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    return text, parse(text)
