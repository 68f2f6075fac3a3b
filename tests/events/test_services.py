"""The rules of events: the tree actions, recurrence, registrations, people."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from campaign.core.models import AuditLog
from campaign.core.services import DomainError
from campaign.core.timeutil import to_local
from campaign.events import services
from campaign.events.models import Event, EventSeries, Person, Registration
from campaign.extensions import db
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN
from tests.events.conftest import create_campaign, create_event, future, register


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- the event tree --------------------------------------------------------------------------

def test_launch_ceremony_creates_95_bridge_points_once(factory):
    coord = factory.user("province_coordinator", province=DONG_NAI)
    campaign = create_campaign()
    start = datetime(2026, 5, 19, 1, 0, tzinfo=UTC)
    result = services.create_launch_ceremony(coord, campaign, starts_at=start, ends_at=start + timedelta(hours=2))
    db.session.commit()
    assert result.created_parent and result.children_created == 95
    ceremony = result.parent
    assert ceremony.kind == "launch_ceremony" and ceremony.commune_code is None
    assert count(Event, Event.parent_id == ceremony.id, Event.kind == "bridge_point") == 95
    assert count(Event, Event.parent_id == ceremony.id, Event.commune_code == TRAN_BIEN) == 1

    again = services.create_launch_ceremony(coord, campaign, starts_at=start, ends_at=start + timedelta(hours=2))
    db.session.commit()
    assert not again.created_parent and again.children_created == 0 and again.parent.id == ceremony.id
    assert count(Event, Event.kind == "bridge_point") == 95
    assert count(Event, Event.kind == "launch_ceremony") == 1

    # a missing bridge point is added back, and only that one
    point = db.session.scalar(select(Event).where(Event.parent_id == ceremony.id, Event.commune_code == TRAN_BIEN))
    db.session.delete(point)
    db.session.commit()
    assert services.create_launch_ceremony(coord, campaign, starts_at=start,
                                           ends_at=start + timedelta(hours=2)).children_created == 1
    db.session.commit()
    assert count(Event, Event.kind == "bridge_point") == 95


def test_the_database_refuses_a_second_bridge_point_in_a_commune():
    campaign = create_campaign()
    start = future()
    ceremony = services.create_launch_ceremony(None, campaign, starts_at=start, ends_at=start).parent
    db.session.commit()
    db.session.add(Event(province_code=DONG_NAI, commune_code=TRAN_BIEN, parent_id=ceremony.id, kind="bridge_point",
                         title="x", starts_at=start, ends_at=start))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_launch_board_counts_ready_and_connected(factory):
    host = factory.user("commune_officer", commune=TRAN_BIEN)
    campaign = create_campaign()
    start = future()
    ceremony = services.create_launch_ceremony(None, campaign, starts_at=start, ends_at=start).parent
    points = db.session.scalars(select(Event).where(Event.parent_id == ceremony.id).order_by(Event.id)).all()
    services.mark_bridge_ready(host, points[0])
    services.mark_bridge_ready(host, points[1])
    services.mark_bridge_connected(host, points[1])
    services.mark_bridge_connected(host, points[2])  # connecting implies ready
    db.session.commit()
    board = services.launch_board(ceremony)
    assert (board.total, board.ready, board.connected) == (95, 3, 2)
    assert points[1].connected_by_id == host.id and points[1].connected_at is not None
    assert count(AuditLog, AuditLog.action == "bridge_point.connected") == 2
    data = board.as_json()
    assert data["connected"] == 2 and len(data["points"]) == 95
    with pytest.raises(DomainError):
        services.mark_bridge_connected(host, ceremony)


def test_national_day_is_created_once_and_board_lists_communes_without_activity():
    first = services.create_national_day(None, DONG_NAI, 2026)
    db.session.commit()
    day = first.parent
    assert first.created_parent and day.all_day and day.kind == "national_day"
    assert (to_local(day.starts_at).day, to_local(day.starts_at).month, to_local(day.starts_at).hour) == (10, 10, 0)
    assert not services.create_national_day(None, DONG_NAI, 2026).created_parent
    assert count(Event, Event.kind == "national_day") == 1
    board = services.national_day_board(day)
    assert board.total_communes == 95 and len(board.communes_without) == 95

    create_event(parent=day, commune_code=TRAN_BIEN, kind="workshop", starts_at=day.starts_at,
                 title="Hội thảo chuyển đổi số")
    cancelled = create_event(parent=day, commune_code=LONG_THANH, kind="talk", starts_at=day.starts_at)
    services.cancel_event(None, cancelled)
    db.session.commit()
    board = services.national_day_board(day)
    codes = {c.code for c in board.communes_without}
    assert TRAN_BIEN not in codes and LONG_THANH in codes and board.communes_with == 1
    with pytest.raises(DomainError):
        services.create_national_day(None, DONG_NAI, 1999)


# --- events --------------------------------------------------------------------------------------

def test_visible_changes_bump_sequence_and_are_recorded():
    event = create_event()
    assert event.sequence == 0 and len(event.uid) > 30
    services.update_event(None, event, organiser_unit="Đoàn xã")  # not visible to attendees
    assert event.sequence == 0
    services.update_event(None, event, place="Nhà văn hóa khu phố 3")
    assert event.sequence == 1
    services.update_event(None, event, starts_at=event.starts_at + timedelta(hours=1),
                          ends_at=event.ends_at + timedelta(hours=1))
    assert event.sequence == 2
    services.cancel_event(None, event)
    assert event.sequence == 3 and event.status == "cancelled"
    db.session.commit()
    assert count(AuditLog, AuditLog.object_type == "events", AuditLog.object_id == str(event.id)) == 5


@pytest.mark.parametrize("values, field", [
    ({"title": "  "}, "title"),
    ({"ends_at": datetime(2020, 1, 1, tzinfo=UTC)}, "ends_at"),
    ({"capacity": -1}, "capacity"),
    ({"commune_code": 99999999}, "commune_code"),
    ({"commune_code": 22333}, "commune_code"),  # a Khánh Hòa ward, not in Đồng Nai
    ({"online_url": "javascript:alert(1)"}, "online_url"),
    ({"target_groups": ["aliens"]}, "target_groups"),
])
def test_bad_event_input_is_a_domain_error(values, field):
    with pytest.raises(DomainError) as err:
        create_event(**values)
    assert err.value.field == field
    db.session.rollback()


def test_capacity_cannot_go_below_confirmed_and_raising_it_promotes():
    event = create_event(capacity=2)
    for n in range(4):
        register(event, name=f"Người {n}")
    with pytest.raises(DomainError) as err:
        services.update_event(None, event, capacity=1)
    assert err.value.field == "capacity"
    db.session.rollback()
    services.update_event(None, event, capacity=3)
    db.session.commit()
    statuses = db.session.scalars(select(Registration.status).order_by(Registration.id)).all()
    assert statuses == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert db.session.get(Event, event.id).confirmed_count == 3


def test_duplicate_keeps_content_as_draft_with_new_uid():
    event = create_event(capacity=30, target_groups=["elderly"])
    register(event)
    copy = services.duplicate_event(None, event)
    db.session.commit()
    assert copy.status == "draft" and copy.uid != event.uid and copy.capacity == 30
    assert copy.target_groups == ",elderly," and copy.confirmed_count == 0


# --- recurrence -----------------------------------------------------------------------------------

def test_weekly_series_keeps_local_wall_time_and_occurrences_can_be_edited():
    start = datetime(2026, 6, 6, 12, 0, tzinfo=UTC)  # 19:00 in Vietnam, a Saturday
    series = services.create_series(None, freq="weekly", count=8, province_code=DONG_NAI, commune_code=TRAN_BIEN,
                                    title="Lớp cộng đồng tối thứ Bảy", kind="class_session", status="published",
                                    starts_at=start, ends_at=start + timedelta(hours=2))
    db.session.commit()
    occ = db.session.scalars(select(Event).where(Event.series_id == series.id).order_by(Event.starts_at)).all()
    assert len(occ) == 8 and series.rule == "FREQ=WEEKLY;INTERVAL=1;COUNT=8"
    assert all(to_local(e.starts_at).hour == 19 and to_local(e.starts_at).weekday() == 5 for e in occ)
    assert len({e.uid for e in occ}) == 8

    # one occurrence moved: the others stay
    services.update_event(None, occ[2], place="Nhà văn hóa ấp 2", starts_at=occ[2].starts_at + timedelta(hours=1),
                          ends_at=occ[2].ends_at + timedelta(hours=1))
    services.cancel_event(None, occ[3])
    db.session.commit()
    assert occ[2].recurrence_id == start + timedelta(weeks=2) and occ[1].place == ""
    # "this and following": from the 5th on the class moves to 18:00 and to a new place
    changed = services.update_following(None, occ[4], place="Hội trường UBND",
                                        starts_at=occ[4].starts_at - timedelta(hours=1),
                                        ends_at=occ[4].ends_at - timedelta(hours=1))
    db.session.commit()
    assert changed == 4
    assert [to_local(e.starts_at).hour for e in occ] == [19, 19, 20, 19, 18, 18, 18, 18]
    assert [e.place for e in occ][4:] == ["Hội trường UBND"] * 4 and occ[3].status == "cancelled"
    # cancel the series from the 7th on
    assert services.cancel_following(None, occ[6]) == 2
    db.session.commit()
    assert [e.status for e in occ] == ["published"] * 3 + ["cancelled"] + ["published"] * 2 + ["cancelled"] * 2
    assert db.session.get(EventSeries, series.id).until < occ[6].recurrence_id


def test_monthly_series_skips_missing_days_and_refuses_bad_rules():
    start = datetime(2026, 1, 31, 2, 0, tzinfo=UTC)
    series = services.create_series(None, freq="monthly", until=datetime(2026, 7, 1, tzinfo=UTC),
                                    province_code=DONG_NAI, title="Sinh hoạt tháng", starts_at=start,
                                    ends_at=start + timedelta(hours=1))
    months = [to_local(e.starts_at).month for e in series.occurrences]
    assert months == [1, 3, 5]
    with pytest.raises(DomainError):
        services.create_series(None, freq="daily", count=3, province_code=DONG_NAI, title="x", starts_at=start,
                               ends_at=start)
    with pytest.raises(DomainError):
        services.create_series(None, freq="weekly", province_code=DONG_NAI, title="x", starts_at=start,
                               ends_at=start)


# --- registrations ---------------------------------------------------------------------------------

def test_phone_normalised_to_e164_and_masked():
    assert services.normalise_phone("0901 234 123") == "+84901234123"
    assert services.normalise_phone("+84 901-234-123") == "+84901234123"
    assert services.normalise_phone("") is None
    for bad in ("12345", "abc", "0901 234 12345678"):
        with pytest.raises(DomainError):
            services.normalise_phone(bad)
    assert services.mask_phone("+84901234123") == "090•••123"
    assert services.mask_phone(None) == ""


def test_capacity_waitlist_and_promotion_in_order():
    event = create_event(capacity=2)
    regs = [register(event, name=f"Người {n}", phone=f"090123450{n}")[0] for n in range(5)]
    assert [r.status for r in regs] == ["confirmed", "confirmed", "waitlisted", "waitlisted", "waitlisted"]
    promoted = services.cancel_registration(regs[0])
    db.session.commit()
    assert [p.id for p in promoted] == [regs[2].id]
    db.session.expire_all()
    assert [db.session.get(Registration, r.id).status for r in regs] == [
        "cancelled", "confirmed", "confirmed", "waitlisted", "waitlisted"]
    # cancelling a waitlisted one frees nothing
    assert services.cancel_registration(db.session.get(Registration, regs[4].id)) == []
    assert services.cancel_registration(db.session.get(Registration, regs[4].id)) == []  # twice: no-op
    db.session.commit()
    assert db.session.get(Event, event.id).confirmed_count == 2


def test_private_link_token_is_stored_hashed():
    event = create_event()
    reg, token = register(event, phone="0901234123")
    assert reg.token_hash != token and len(token) >= 30
    assert services.find_registration(token).id == reg.id
    assert services.find_registration(token + "x") is None
    assert services.find_registration("") is None


def test_duplicate_known_phone_on_same_event_is_refused_to_staff_but_not_elsewhere(factory):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    event, other = create_event(), create_event()
    register(event, name="Trần Thị Bình", phone="0901234123", actor=officer)
    with pytest.raises(DomainError) as err:
        services.register(event, full_name="Ai đó", phone="+84 90 123 4123", consent=True, actor=officer)
    assert err.value.field == "phone" and "Bình" not in err.value.message
    db.session.rollback()
    register(other, name="Trần Thị Bình", phone="0901234123", actor=officer)
    assert count(Person) == 1 and count(Registration) == 2
    # after a cancellation the same person may register again
    reg = db.session.scalar(select(Registration).where(Registration.event_id == event.id))
    services.cancel_registration(reg)
    db.session.commit()
    register(event, name="Trần Thị Bình", phone="0901234123", actor=officer)
    assert count(Registration, Registration.event_id == event.id) == 2
    # a public registration with that phone is its own record: it neither fails nor joins hers
    register(event, name="Ai đó", phone="0901234123")
    assert count(Person) == 2 and count(Registration, Registration.event_id == event.id) == 3


@pytest.mark.parametrize("kw, field", [
    ({"full_name": " "}, "full_name"),
    ({"phone": "0123"}, "phone"),
    ({"birth_year": 1800}, "birth_year"),
    ({"commune_code": 12345678}, "commune_code"),
    ({"consent": False}, "consent"),
    ({"target_groups": ["x"]}, "target_groups"),
])
def test_bad_registration_input(kw, field):
    event = create_event()
    values = dict(full_name="Lê Văn Cường", consent=True)
    values.update(kw)
    with pytest.raises(DomainError) as err:
        services.register(event, **values)
    assert err.value.field == field
    db.session.rollback()
    assert count(Registration) == 0 and count(Person) == 0


def test_registration_closed_for_drafts_cancelled_internal_and_past_events(factory):
    for kw in ({"status": "draft"}, {"visibility": "internal"}, {"registration_open": False},
               {"starts_at": future(-3), "ends_at": future(-3) + timedelta(hours=1)}):
        event = create_event(**kw)
        with pytest.raises(DomainError):
            services.register(event, full_name="An", consent=True)
        db.session.rollback()
    internal = create_event(visibility="internal")
    reg, _ = services.register(internal, full_name="An", consent=True, actor=factory.user("commune_officer"))
    assert reg.source == "staff"


def test_manual_status_changes_respect_capacity(factory):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    event = create_event(capacity=1)
    first, _ = register(event, name="A")
    second, _ = register(event, name="B")
    with pytest.raises(DomainError):
        services.set_registration_status(officer, second, "confirmed")
    db.session.rollback()
    services.set_registration_status(officer, first, "waitlisted")
    services.set_registration_status(officer, second, "confirmed")
    db.session.commit()
    db.session.expire_all()
    assert (db.session.get(Registration, first.id).status, db.session.get(Registration, second.id).status) == (
        "waitlisted", "confirmed")
    assert db.session.get(Event, event.id).confirmed_count == 1


def test_anonymise_keeps_the_registration_counted(factory):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    event = create_event(capacity=10)
    reg, _ = register(event, name="Phạm Thị Dung", phone="0901234123", birth_year=1950, gender="female",
                      commune_code=TRAN_BIEN, needs="xe lăn", target_groups=["elderly"])
    person = reg.person
    assert services.can_anonymise(officer, person)
    services.anonymise_person(officer, person)
    db.session.commit()
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert (person.full_name, person.phone, person.birth_year, person.gender, person.needs) == (
        services.ANONYMOUS_NAME, None, None, None, "")
    assert person.anonymised_at is not None and person.commune_code == TRAN_BIEN
    reg = db.session.get(Registration, reg.id)
    assert reg.status == "confirmed" and reg.needs == ""
    assert db.session.get(Event, event.id).confirmed_count == 1
    # the phone is free again: a new registration with it is a new person
    register(create_event(), name="Phạm Thị Dung", phone="0901234123")
    assert count(Person) == 2


def test_phone_visible_only_to_commune_officers_and_event_organisers(factory):
    event = create_event(commune_code=LONG_THANH)
    reg, _ = register(event, name="Võ Văn Em", phone="0901234123", commune_code=TRAN_BIEN)
    person = reg.person
    seers = [factory.user("admin"), factory.user("commune_officer", commune=TRAN_BIEN),
             factory.user("commune_officer", commune=LONG_THANH), factory.user("province_coordinator"),
             factory.user("youth_organiser", commune=LONG_THANH)]
    blind = [factory.user("trainer", province=DONG_NAI), factory.user("volunteer", commune=TRAN_BIEN),
             factory.user("youth_organiser", commune=TRAN_BIEN),
             factory.user("province_coordinator", province=56)]
    for user in seers:
        assert services.shown_phone(user, person) == "0901234123", user
    for user in blind:
        assert services.shown_phone(user, person) == "090•••123", user
    from flask_login import AnonymousUserMixin

    assert services.shown_phone(AnonymousUserMixin(), person) == "090•••123"


def test_registrations_do_not_touch_the_events_last_change():
    """Calendars use the event's last change; a registration is not a change of the event."""
    event = create_event(capacity=1)
    before = db.session.get(Event, event.id).updated_at
    reg, _ = register(event, name="A")
    register(event, name="B")
    services.cancel_registration(reg)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Event, event.id).updated_at == before
