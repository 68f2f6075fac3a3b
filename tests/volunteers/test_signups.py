"""Signup rules: capacity, waiting list in order, overlap, window, skill, cut-off, organiser actions."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from campaign.core.models import AuditLog, Notification
from campaign.core.services import DomainError
from campaign.extensions import db
from campaign.volunteers import services
from campaign.volunteers.models import Signup
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.volunteers.conftest import future


def statuses(shift):
    db.session.expire_all()
    return {s.volunteer_id: s.status for s in db.session.scalars(select(Signup).where(Signup.shift_id == shift.id))}


def test_capacity_then_waiting_list_then_promotion_in_order(make_profile, make_shift):
    shift = make_shift(max_needed=2)
    a, b, c, d = (make_profile() for _ in range(4))
    assert services.sign_up(a.user, shift).status == "confirmed"
    assert services.sign_up(b.user, shift).status == "confirmed"
    with pytest.raises(DomainError, match="đủ người|full"):
        services.sign_up(c.user, shift)
    assert services.sign_up(c.user, shift, join_waitlist=True).status == "waitlisted"
    assert services.sign_up(d.user, shift, join_waitlist=True).status == "waitlisted"
    db.session.commit()

    sa = db.session.scalar(select(Signup).where(Signup.volunteer_id == a.id))
    promoted = services.cancel_signup(a.user, sa)
    db.session.commit()
    assert [p.volunteer_id for p in promoted] == [c.id]  # the earliest on the list first
    assert statuses(shift) == {a.id: "cancelled", b.id: "confirmed", c.id: "confirmed", d.id: "waitlisted"}
    note = db.session.scalar(select(Notification).where(Notification.user_id == c.user_id))
    assert note is not None and "chỗ trống" in note.subject

    sb = db.session.scalar(select(Signup).where(Signup.volunteer_id == b.id))
    services.cancel_signup(b.user, sb)
    db.session.commit()
    assert statuses(shift)[d.id] == "confirmed"


def test_signing_up_twice_is_refused_and_the_database_backs_it(make_profile, make_shift):
    shift = make_shift()
    p = make_profile()
    services.sign_up(p.user, shift)
    db.session.commit()
    with pytest.raises(DomainError, match="đã đăng ký|already"):
        services.sign_up(p.user, shift)
    db.session.add(Signup(shift_id=shift.id, volunteer_id=p.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_signing_up_again_after_signing_out_reuses_the_signup(make_profile, make_shift):
    shift = make_shift()
    p = make_profile()
    su = services.sign_up(p.user, shift)
    db.session.commit()
    services.cancel_signup(p.user, su)
    db.session.commit()
    again = services.sign_up(p.user, shift)
    db.session.commit()
    assert again.id == su.id and again.status == "confirmed"


def test_overlap_with_own_shifts_is_refused(make_profile, make_shift):
    first = make_shift(start=48, hours=4)
    overlapping = make_shift(start=50, hours=4, commune=LONG_THANH)
    after = make_shift(start=52, hours=2)  # starts when the first ends: no overlap
    p = make_profile()
    services.sign_up(p.user, first)
    db.session.commit()
    with pytest.raises(DomainError, match="trùng giờ"):
        services.sign_up(p.user, overlapping)
    assert services.sign_up(p.user, after).status == "confirmed"


def test_signup_window_and_started_shift(make_profile, make_shift):
    p = make_profile()
    not_yet = make_shift(signup_opens_at=future(10))
    closed = make_shift(start=72, signup_closes_at=future(-1))
    started = make_shift(start=-1, hours=3)
    with pytest.raises(DomainError, match="mở đăng ký"):
        services.sign_up(p.user, not_yet)
    with pytest.raises(DomainError, match="đóng đăng ký"):
        services.sign_up(p.user, closed)
    with pytest.raises(DomainError, match="đã bắt đầu"):
        services.sign_up(p.user, started)
    # inside the window it works
    assert services.sign_up(p.user, not_yet, now=future(11)).status == "confirmed"


def test_required_skill_and_approval(make_profile, make_shift):
    shift = make_shift(required_skill="sign_language")
    p = make_profile(skills=["vneid"])
    with pytest.raises(DomainError, match="Ngôn ngữ ký hiệu"):
        services.sign_up(p.user, shift)
    pending = make_profile(skills=["sign_language"], status="pending")
    with pytest.raises(DomainError, match="chưa được duyệt"):
        services.sign_up(pending.user, shift)
    ok = make_profile(skills=["sign_language"])
    assert services.sign_up(ok.user, shift).status == "confirmed"


def test_sign_out_cut_off(make_profile, make_shift):
    shift = make_shift(start=10)  # default cut-off: 12 hours before: already passed
    p = make_profile()
    su = services.sign_up(p.user, shift)
    db.session.commit()
    with pytest.raises(DomainError, match="quá hạn rút đăng ký"):
        services.cancel_signup(p.user, su)
    later = make_shift(start=72, signout_cutoff_at=future(24))
    su2 = services.sign_up(p.user, later)
    db.session.commit()
    services.cancel_signup(p.user, su2)
    assert su2.status == "cancelled"


def test_organiser_assigns_overbooks_deliberately_and_removes(factory, make_profile, make_shift):
    organiser = factory.user("youth_organiser", commune=TRAN_BIEN)
    shift = make_shift(max_needed=1)
    a, b, c = make_profile(), make_profile(), make_profile()
    services.sign_up(a.user, shift)
    services.sign_up(c.user, shift, join_waitlist=True)
    db.session.commit()
    with pytest.raises(DomainError, match="đủ người"):
        services.assign(organiser, shift, b)
    su = services.assign(organiser, shift, b, overbook=True)
    db.session.commit()
    assert su.overbooked and su.status == "confirmed"
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "signup.overbooked")) == 1
    assert db.session.scalar(select(Notification.subject).where(Notification.user_id == b.user_id))
    # removing one of two confirmed on a one-place shift frees nothing: the waiting list stays
    sa = db.session.scalar(select(Signup).where(Signup.volunteer_id == a.id))
    assert services.cancel_signup(organiser, sa) == []
    db.session.commit()
    assert statuses(shift)[c.id] == "waitlisted"


def test_lowering_capacity_asks_who_moves_and_raising_promotes(factory, make_profile, make_shift):
    organiser = factory.user("youth_organiser", commune=TRAN_BIEN)
    shift = make_shift(max_needed=3, min_needed=1)
    a, b, c, w = (make_profile() for _ in range(4))
    for p in (a, b, c):
        services.sign_up(p.user, shift)
    services.sign_up(w.user, shift, join_waitlist=True)
    db.session.commit()
    values = dict(role=shift.role, commune_code=shift.commune_code, starts_at=shift.starts_at, ends_at=shift.ends_at,
                  min_needed=1, max_needed=1, location=shift.location)
    with pytest.raises(DomainError, match="Hãy chọn 2"):
        services.update_shift(organiser, shift, **values)
    db.session.rollback()
    ids = {s.volunteer_id: s.id for s in db.session.scalars(select(Signup).where(Signup.shift_id == shift.id))}
    moved = services.update_shift(organiser, shift, move_to_waitlist=[ids[b.id], ids[c.id]], **values)
    db.session.commit()
    assert {m.volunteer_id for m in moved} == {b.id, c.id}
    assert statuses(shift) == {a.id: "confirmed", b.id: "waitlisted", c.id: "waitlisted", w.id: "waitlisted"}
    # raising it again promotes those who had a place before the later arrival
    services.update_shift(organiser, shift, **dict(values, max_needed=3))
    db.session.commit()
    assert statuses(shift) == {a.id: "confirmed", b.id: "confirmed", c.id: "confirmed", w.id: "waitlisted"}


def test_signup_and_sign_out_over_http(login_as, make_profile, make_shift):
    shift = make_shift(start=72)
    p = make_profile()
    client = login_as(p.user)
    resp = client.post(f"/volunteers/shifts/{shift.id}/signup", follow_redirects=True)
    assert "Bạn đã đăng ký thành công" in resp.text
    su = db.session.scalar(select(Signup).where(Signup.volunteer_id == p.id))
    assert su.status == "confirmed"
    resp = client.get("/volunteers/my")
    assert "Nhà văn hóa" in resp.text
    resp = client.post(f"/volunteers/signups/{su.id}/cancel", follow_redirects=True)
    assert "Bạn đã rút đăng ký khỏi ca" in resp.text
    # a full shift: a clear message, not a 500
    full = make_shift(start=100, max_needed=1)
    other = make_profile()
    services.sign_up(other.user, full)
    db.session.commit()
    resp = client.post(f"/volunteers/shifts/{full.id}/signup", follow_redirects=True)
    assert resp.status_code == 200 and "Ca này đã đủ người" in resp.text
    resp = client.post(f"/volunteers/shifts/{full.id}/signup", data={"waitlist": "1"}, follow_redirects=True)
    assert "danh sách chờ" in resp.text


def test_someone_else_cannot_cancel_my_signup(login_as, make_profile, make_shift):
    shift = make_shift()
    p, q = make_profile(), make_profile()
    su = services.sign_up(p.user, shift)
    db.session.commit()
    assert login_as(q.user).post(f"/volunteers/signups/{su.id}/cancel").status_code == 403
    assert shift.starts_at > future(0) - timedelta(hours=1)
