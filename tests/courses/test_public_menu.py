"""Issue 22 (6): anonymous visitors (and people who run no classes) find the public classes in the
menu; those who run classes keep their "Classes" entry to the management page."""

import re

from tests.conftest import DONG_NAI


def _menu_links(html: str) -> list[str]:
    nav = html[html.index("<nav"):html.index("</nav>")]
    return re.findall(r'class="nav-link" href="([^"]+)"', nav)


def test_classes_in_the_public_menu(client, login_as, factory):
    assert "/courses/" in _menu_links(client.get("/", follow_redirects=True).text)
    assert client.get("/courses/").status_code == 200
    assert "/courses/" in _menu_links(login_as(factory.user("volunteer")).get("/", follow_redirects=True).text)
    trainer_links = _menu_links(login_as(factory.user("trainer", province=DONG_NAI)).get("/", follow_redirects=True).text)
    assert "/courses/" not in trainer_links and "/courses/manage" in trainer_links
