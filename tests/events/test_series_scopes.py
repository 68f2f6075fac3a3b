"""Issue 22 (2): publishing, cancelling and editing a series offer "this occurrence / this and the
following / the whole series", as calendar apps do; a new series may be published at once."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from campaign.events import services
from campaign.events.models import Event
from campaign.extensions import db
from tests.conftest import DONG_NAI, TRAN_BIEN


def _series(status="draft", weeks_ago=0, count=6):
    start = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=3 - 7 * weeks_ago)
    series = services.create_series(None, freq="weekly", count=count, province_code=DONG_NAI, commune_code=TRAN_BIEN,
                                    title="Lớp tối thứ Bảy", kind="class_session", status=status,
                                    starts_at=start, ends_at=start + timedelta(hours=2))
    db.session.commit()
    return db.session.scalars(select(Event).where(Event.series_id == series.id).order_by(Event.recurrence_id)).all()


def _statuses(occ):
    db.session.expire_all()
    return [db.session.get(Event, e.id).status for e in occ]


def test_publish_cancel_and_edit_by_scope():
    occ = _series()
    assert services.series_draft_count(occ[0]) == 6
    assert services.publish_occurrences(None, occ[0], "this") == 1
    assert services.publish_occurrences(None, occ[3], "following") == 3
    db.session.commit()
    assert _statuses(occ) == ["published", "draft", "draft", "published", "published", "published"]
    assert services.publish_occurrences(None, occ[5], "all") == 2
    db.session.commit()
    assert _statuses(occ) == ["published"] * 6 and services.series_draft_count(occ[0]) == 0

    changed = services.update_occurrences(None, occ[2], "all", title="Lớp tối thứ Bảy (hội trường)",
                                          starts_at=occ[2].starts_at + timedelta(hours=1),
                                          ends_at=occ[2].ends_at + timedelta(hours=1))
    db.session.commit()
    assert changed == 6
    db.session.expire_all()
    moved = [db.session.get(Event, e.id) for e in occ]
    assert {e.title for e in moved} == {"Lớp tối thứ Bảy (hội trường)"}
    assert all(e.starts_at == e.recurrence_id + timedelta(hours=1) for e in moved)

    assert services.cancel_occurrences(None, occ[1], "this") == 1
    assert services.cancel_occurrences(None, occ[4], "following") == 2
    db.session.commit()
    assert _statuses(occ) == ["published", "cancelled", "published", "published", "cancelled", "cancelled"]
    assert services.cancel_occurrences(None, occ[0], "all") == 3
    db.session.commit()
    assert _statuses(occ) == ["cancelled"] * 6


def test_cancelling_the_whole_series_keeps_the_occurrences_already_held():
    occ = _series(status="published", weeks_ago=2)  # two occurrences are over
    assert occ[0].ends_at < datetime.now(UTC) and occ[1].ends_at < datetime.now(UTC)
    assert services.cancel_occurrences(None, occ[3], "all") == 4
    db.session.commit()
    assert _statuses(occ) == ["published"] * 2 + ["cancelled"] * 4


def test_an_unknown_scope_is_refused():
    import pytest

    from campaign.core.services import DomainError

    occ = _series()
    with pytest.raises(DomainError):
        services.publish_occurrences(None, occ[0], "everything")


def _form(**extra):
    data = {"kind": "class_session", "title": "Lớp tối thứ Tư", "commune_code": str(TRAN_BIEN),
            "starts_at": "2026-12-02T19:00", "ends_at": "2026-12-02T21:00", "visibility": "public",
            "freq": "weekly", "interval": "1", "count": "6"}
    data.update(extra)
    return data


def test_a_new_series_is_published_at_once_when_asked(login_as, factory):
    client = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    form = client.get("/manage/series/new").text
    assert 'name="publish"' in form
    resp = client.post("/manage/series/new", data=_form(publish="y"), follow_redirects=True)
    assert "6 buổi" in resp.text or "6" in resp.text
    assert [e.status for e in db.session.scalars(select(Event))] == ["published"] * 6


def test_the_occurrence_page_publishes_and_cancels_by_scope(login_as, factory):
    client = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    assert client.post("/manage/series/new", data=_form()).status_code == 302
    occ = db.session.scalars(select(Event).order_by(Event.recurrence_id)).all()
    page = client.get(f"/manage/events/{occ[2].id}").text
    for value in ("this", "following", "all"):
        assert f'id="publish-{value}"' in page and f'id="cancel-{value}"' in page
    assert "Cả chuỗi" in page or "cả chuỗi" in page
    resp = client.post(f"/manage/events/{occ[2].id}/publish", data={"scope": "all"}, follow_redirects=True)
    assert "6" in resp.text
    assert _statuses(occ) == ["published"] * 6
    assert 'id="publish-all"' not in client.get(f"/manage/events/{occ[2].id}").text  # nothing left to publish
    client.post(f"/manage/events/{occ[3].id}/cancel", data={"scope": "following"})
    assert _statuses(occ) == ["published"] * 3 + ["cancelled"] * 3
    client.post(f"/manage/events/{occ[0].id}/cancel", data={"following": "1"})  # the older form still works
    assert _statuses(occ) == ["cancelled"] * 6
    assert client.post(f"/manage/events/{occ[0].id}/publish", data={"scope": "bad"}).status_code == 302


def test_editing_the_whole_series_from_any_occurrence(login_as, factory):
    client = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    assert client.post("/manage/series/new", data=_form(publish="y")).status_code == 302
    occ = db.session.scalars(select(Event).order_by(Event.recurrence_id)).all()
    edit = client.get(f"/manage/events/{occ[4].id}/edit").text
    assert 'value="all"' in edit
    resp = client.post(f"/manage/events/{occ[4].id}/edit", data={
        "kind": "class_session", "title": "Lớp tối thứ Tư (đổi phòng)", "commune_code": str(TRAN_BIEN),
        "starts_at": occ[4].starts_at.astimezone(services.LOCAL_TZ).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": occ[4].ends_at.astimezone(services.LOCAL_TZ).strftime("%Y-%m-%dT%H:%M"),
        "visibility": "public", "scope": "all"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert {e.title for e in db.session.scalars(select(Event))} == {"Lớp tối thứ Tư (đổi phòng)"}
