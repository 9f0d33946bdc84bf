"""Addresses people and browsers try on their own: ``/login`` and the site's icon."""

from __future__ import annotations

import re

from tests.conftest import client_for


def test_login_redirects_to_the_login_page_keeping_where_to_go_next(client):
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    response = client.get("/login?next=/cases/7")
    assert response.headers["Location"] == "/auth/login?next=/cases/7"
    assert "Iniciar sesión" in client.get("/login", follow_redirects=True).get_data(as_text=True)


def test_every_page_links_an_icon_that_is_served(app, client, referring):
    for page in (client.get("/auth/login"), client_for(app, referring).get("/cases/")):
        html = page.get_data(as_text=True)
        link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
        assert link, "the page links its icon"
        icon = client.get(link.group(1))
        assert icon.status_code == 200
        assert icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
        icon.close()
    # Browsers that ask the old address anyway get the same icon, not a 404.
    old = client.get("/favicon.ico")
    assert old.status_code == 302 and old.headers["Location"] == "/static/favicon.svg"
