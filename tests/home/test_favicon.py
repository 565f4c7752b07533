"""The site's icon: linked from every page and answered at /favicon.ico, so that no page load ends in a 404."""

import re


def test_every_page_links_an_icon_that_is_there(app, client_as):
    client = client_as(None)
    html = client.get("/login").get_data(as_text=True)
    links = re.findall(r'<link rel="(?:alternate )?icon" href="([^"]+)"', html)
    assert len(links) == 2
    for link in links:
        response = client.get(link)
        assert response.status_code == 200 and response.mimetype in ("image/svg+xml", "image/vnd.microsoft.icon")


def test_the_root_icon_is_an_ico_for_anyone(app, client_as):
    response = client_as(None).get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\0\0\1\0"  # an icon directory with one image
