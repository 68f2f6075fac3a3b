"""Shifts: creation with clear messages, bulk creation with a preview, scope of organisers, and lists
that run a bounded number of queries."""

from contextlib import contextmanager
from datetime import date, time, timedelta

import pytest
from sqlalchemy import event, func, select

from campaign.core.services import DomainError
from campaign.core.timeutil import to_local
from campaign.extensions import db
from campaign.volunteers import services
from campaign.volunteers.models import Shift, Signup
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.volunteers.conftest import future


def _local(dt):
    return to_local(dt).strftime("%Y-%m-%dT%H:%M")


def _form(**over):
    data = {"role": "door_to_door", "commune_code": str(TRAN_BIEN), "starts_at": _local(future(48)),
            "ends_at": _local(future(52)), "min_needed": "2", "max_needed": "4", "required_skill": "",
            "location": "Nhà văn hóa khu phố 1"}
    data.update(over)
    return data


def test_organiser_creates_a_shift_and_bad_input_gets_clear_messages(campaign, factory, login_as):
    organiser = factory.user("youth_organiser", commune=TRAN_BIEN)
    client = login_as(organiser)
    url = f"/volunteers/campaigns/{campaign.id}/shifts/new"
    resp = client.post(url, data=_form(ends_at=_local(future(47))))
    assert resp.status_code == 200 and "Ca phải kết thúc sau khi bắt đầu" in resp.text
    resp = client.post(url, data=_form(min_needed="5"))
    assert "Số tối thiểu phải từ 0 đến số tối đa" in resp.text
    resp = client.post(url, data=_form(starts_at="not a date"))
    assert resp.status_code == 200
    resp = client.post(url, data=_form(starts_at=_local(future(24 * 400)), ends_at=_local(future(24 * 400 + 2))))
    assert "nằm trong thời gian của chiến dịch" in resp.text
    resp = client.post(url, data=_form(commune_code=str(LONG_THANH)))
    assert "không có quyền tổ chức ca" in resp.text
    resp = client.post(url, data=_form(signup_closes_at=_local(future(50))))
    assert "Phải đóng đăng ký trước khi ca bắt đầu" in resp.text
    assert db.session.scalar(select(func.count()).select_from(Shift)) == 0
    resp = client.post(url, data=_form())
    assert resp.status_code == 302
    shift = db.session.scalar(select(Shift))
    assert shift.max_needed == 4 and shift.min_needed == 2 and shift.starts_at.tzinfo is not None
    assert to_local(shift.starts_at).strftime("%Y-%m-%dT%H:%M") == _local(future(48))


def test_a_commune_organiser_cannot_edit_another_communes_shifts(campaign, factory, login_as, make_shift):
    long_thanh = factory.user("youth_organiser", commune=LONG_THANH)
    province = factory.user("youth_organiser", province=75)
    shift = make_shift(commune=TRAN_BIEN)
    client = login_as(long_thanh)
    for method, url in (("GET", f"/volunteers/shifts/{shift.id}/edit"), ("POST", f"/volunteers/shifts/{shift.id}/edit"),
                        ("GET", f"/volunteers/shifts/{shift.id}/manage"), ("POST", f"/volunteers/shifts/{shift.id}/delete"),
                        ("POST", f"/volunteers/shifts/{shift.id}/assign")):
        assert client.open(url, method=method, data=_form()).status_code == 403, url
    with pytest.raises(DomainError):
        services.update_shift(long_thanh, shift, **{k: v for k, v in _values(shift).items()})
    # the list of a commune organiser shows only their commune
    mine = make_shift(commune=LONG_THANH, start=100)
    page = client.get(f"/volunteers/campaigns/{campaign.id}/shifts")
    assert f"/volunteers/shifts/{mine.id}/manage" in page.text and f"/volunteers/shifts/{shift.id}/manage" not in page.text
    # the province's organiser manages every commune
    resp = login_as(province).post(f"/volunteers/shifts/{shift.id}/edit", data=_form(max_needed="6", min_needed="1"))
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Shift, shift.id).max_needed == 6


def _values(shift):
    return dict(role=shift.role, commune_code=shift.commune_code, starts_at=shift.starts_at, ends_at=shift.ends_at,
                min_needed=shift.min_needed, max_needed=shift.max_needed)


def test_bulk_creation_previews_then_creates(campaign, factory, login_as):
    organiser = factory.user("youth_organiser", province=75)
    start = date.today() + timedelta(days=7)
    start = start + timedelta(days=(7 - start.weekday()) % 7)  # a Monday
    data = {"communes": [str(TRAN_BIEN), str(LONG_THANH)], "date_from": start.isoformat(),
            "date_to": (start + timedelta(days=13)).isoformat(), "weekdays": ["0", "1", "2", "3", "4"],
            "start_time": "07:30", "end_time": "11:30", "role": "door_to_door", "max_needed": "4",
            "required_skill": "", "skip_holidays": "", "preview": "1"}
    client = login_as(organiser)
    url = f"/volunteers/campaigns/{campaign.id}/shifts/bulk"
    resp = client.post(url, data=data)
    assert "Xem trước: 20 ca" in resp.text
    assert db.session.scalar(select(func.count()).select_from(Shift)) == 0
    resp = client.post(url, data={**data, "preview": "", "confirm": "1"})
    assert resp.status_code == 302
    shifts = db.session.scalars(select(Shift)).all()
    assert len(shifts) == 20 and {s.max_needed for s in shifts} == {4}
    assert {to_local(s.starts_at).time() for s in shifts} == {time(7, 30)}
    assert {to_local(s.starts_at).weekday() for s in shifts} == {0, 1, 2, 3, 4}
    # bad input: a clear message
    resp = client.post(url, data={**data, "weekdays": []})
    assert "Hãy chọn ít nhất một ngày trong tuần" in resp.text
    resp = client.post(url, data={**data, "end_time": "07:00"})
    assert "Ca phải kết thúc sau khi bắt đầu" in resp.text


def test_bulk_skips_public_holidays(campaign, factory):
    organiser = factory.user("youth_organiser", province=75)
    campaign.starts_on, campaign.ends_on = date(2026, 1, 1), date(2026, 12, 31)
    plan = services.plan_bulk(organiser, campaign, commune_codes=[TRAN_BIEN], date_from=date(2026, 8, 31),
                              date_to=date(2026, 9, 4), weekdays=[0, 1, 2, 3, 4], start_time=time(8),
                              end_time=time(11), role="other", max_needed=2)
    assert date(2026, 9, 2) in plan.skipped_holidays  # Quốc khánh
    assert len(plan.rows) == 5 - len(plan.skipped_holidays)


@contextmanager
def count_queries():
    counter = {"n": 0}

    def before(*_a, **_k):
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def _populate(make_shift, make_profile, n_shifts, volunteers):
    shifts = [make_shift(start=24 + 24 * (i % 20) + (i // 20) * 5, commune=(TRAN_BIEN, LONG_THANH)[i % 2],
                         max_needed=3, commit=False) for i in range(n_shifts)]
    for i, s in enumerate(shifts):
        for v in volunteers[: (i % 3) + 1]:
            db.session.add(Signup(shift_id=s.id, volunteer_id=v.id, status="confirmed", hours=2))
    db.session.commit()


@pytest.mark.parametrize("path", ["board", "shifts", "people", "open", "my", "review", "manage"])
def test_pages_run_a_bounded_number_of_queries(path, campaign, factory, login_as, make_shift, make_profile):
    organiser = factory.user("youth_organiser", province=75)
    vols = [make_profile() for _ in range(3)]
    me = vols[0]

    def url():
        week = services.week_start(to_local(future(24)).date()).isoformat()
        first = db.session.scalar(select(Shift.id).order_by(Shift.id))
        return {"board": f"/volunteers/campaigns/{campaign.id}/board?week={week}",
                "shifts": f"/volunteers/campaigns/{campaign.id}/shifts",
                "people": "/volunteers/people", "open": "/volunteers/shifts", "my": "/volunteers/my",
                "review": f"/volunteers/campaigns/{campaign.id}/review",
                "manage": f"/volunteers/shifts/{first}/manage"}[path]

    who = me.user if path in ("open", "my") else organiser
    _populate(make_shift, make_profile, 4, vols)
    client = login_as(who)
    with count_queries() as small:
        assert client.get(url()).status_code == 200
    _populate(make_shift, make_profile, 40, vols + [make_profile() for _ in range(5)])
    with count_queries() as large:
        assert client.get(url()).status_code == 200
    assert large["n"] <= small["n"] + 1, (small, large)


def test_statement_runs_a_bounded_number_of_queries(campaign, login_as, make_shift, make_profile):
    me = make_profile()
    client = login_as(me.user)

    def add(n):
        for i in range(n):
            s = make_shift(start=-24 * (i + 2) - 200 * n, commit=False)
            db.session.add(Signup(shift_id=s.id, volunteer_id=me.id, status="confirmed", hours=3))
        db.session.commit()

    add(2)
    with count_queries() as small:
        assert client.get("/volunteers/my/statement").status_code == 200
    add(30)
    with count_queries() as large:
        assert client.get("/volunteers/my/statement").status_code == 200
    assert large["n"] <= small["n"], (small, large)
