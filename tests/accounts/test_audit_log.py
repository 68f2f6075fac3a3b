"""The audit log page: administrators see every entry, province coordinators their province's;
filters, pagination, Vietnamese (issue 14, point 13)."""

from __future__ import annotations

from datetime import UTC, datetime

from campaign.core.services import audit
from campaign.extensions import db
from tests.conftest import DONG_NAI, KHANH_HOA, TRAN_BIEN
from tests.events.conftest import create_event


def test_coordinators_see_their_province_and_admins_everything(login_as, factory):
    officer = factory.user("commune_officer", commune=TRAN_BIEN, full_name="Lê Văn Cán Bộ")
    dong_nai = create_event(title="Sự kiện Đồng Nai", commune_code=TRAN_BIEN)
    khanh_hoa = create_event(title="Sự kiện Khánh Hòa", province_code=KHANH_HOA, commune_code=None)
    audit("event.published", dong_nai, actor=officer)
    audit("event.published", khanh_hoa, actor=officer)
    db.session.commit()
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    page = coord.get("/audit?action=event.published")
    assert page.status_code == 200
    assert "Nhật ký hoạt động" in page.text and "Lê Văn Cán Bộ" in page.text
    assert f"/manage/events/{dong_nai.id}" in page.text and f"/manage/events/{khanh_hoa.id}" not in page.text
    admin = login_as(factory.user("admin")).get("/audit?action=event.published").text
    assert f"/manage/events/{dong_nai.id}" in admin and f"/manage/events/{khanh_hoa.id}" in admin
    kh = login_as(factory.user("province_coordinator", province=KHANH_HOA)).get("/audit?action=event.published").text
    assert f"/manage/events/{khanh_hoa.id}" in kh and f"/manage/events/{dong_nai.id}" not in kh


def test_filters_and_pagination_with_bounded_queries(login_as, factory):
    from sqlalchemy import event as sa_event

    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    other = factory.user("commune_officer", commune=TRAN_BIEN)
    event = create_event(commune_code=TRAN_BIEN)
    for n in range(120):
        audit("registration.exported", event, actor=officer if n % 2 else other, rows=n)
    old = audit("event.cancelled", event, actor=officer)
    old.at = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)
    db.session.commit()
    admin = login_as(factory.user("admin"))
    page = admin.get("/audit?action=exported")
    assert "120 mục" in page.text and "1 / 3" in page.text
    assert "60 mục" in admin.get(f"/audit?action=exported&actor={officer.username.upper()}").text
    assert "1 mục" in admin.get("/audit?from=15/01/2026&to=15/01/2026").text
    assert "0 mục" in admin.get("/audit?from=16/01/2026&to=20/01/2026").text
    assert "122 mục" in admin.get(f"/audit?type=events&id={event.id}").text  # with "event.created"
    bad = admin.get("/audit?from=31/02/2026&to=xx&page=99999999999999999999&type=nope")
    assert bad.status_code == 200 and "Nhập ngày theo dạng dd/mm/yyyy." in bad.text

    count = {"n": 0}

    def before(*_args):
        count["n"] += 1

    from campaign.extensions import db as _db

    sa_event.listen(_db.engine, "before_cursor_execute", before)
    try:
        assert admin.get("/audit?page=2").status_code == 200
    finally:
        sa_event.remove(_db.engine, "before_cursor_execute", before)
    assert count["n"] <= 6  # the user, the count, the rows (with their actors), the nav's checks


def test_the_nav_links_to_it_only_for_those_who_may_read_it(login_as, factory):
    assert 'href="/audit"' in login_as(factory.user("province_coordinator", province=DONG_NAI)).get("/", follow_redirects=True).text
    assert 'href="/audit"' in login_as(factory.user("admin")).get("/", follow_redirects=True).text
    assert 'href="/audit"' not in login_as(factory.user("commune_officer", commune=TRAN_BIEN)).get("/", follow_redirects=True).text
