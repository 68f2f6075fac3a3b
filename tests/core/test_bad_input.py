"""No 5xx from any input: the reported cases, each answered with a 4xx or an ordinary page."""

from __future__ import annotations

import json

import pytest

from campaign.core.requests import MAX_JSON_DEPTH, check_json, int_arg
from tests.checkin.conftest import HEADERS, CheckinFactory, scan_body
from tests.events.conftest import create_event

BIG = "9" * 20


@pytest.mark.parametrize("url", [
    f"/events?page={BIG}", f"/events?campaign={BIG}", f"/courses/?commune={BIG}", f"/courses/?page={BIG}",
    f"/events/{BIG}", f"/courses/{BIG}", f"/calendars/communes/{BIG}.ics", "/events?page=-5", "/events?page=1e9",
    f"/volunteers/shifts?commune={BIG}", f"/venues/?page={BIG}",
])
def test_huge_numbers_in_the_address_are_not_errors(client, url):
    resp = client.get(url)
    assert resp.status_code < 500, (url, resp.status_code)


@pytest.mark.parametrize("url", [f"/manage/events?page={BIG}", f"/manage/events?campaign={BIG}",
                                 f"/accounts/users?page={BIG}", f"/manage/events/{BIG}"])
def test_huge_numbers_on_staff_pages(login_as, factory, url):
    admin = login_as(factory.user("admin"))
    assert admin.get(url).status_code < 500, url


def test_a_30_digit_since_is_a_400(login_as, factory):
    event = CheckinFactory().event()
    admin = login_as(factory.user("admin"))
    resp = admin.get(f"/api/checkin/events/{event.id}/checkins?since={'9' * 30}", headers=HEADERS)
    assert resp.status_code == 400
    assert admin.get(f"/api/checkin/events/{event.id}/checkins?since=5", headers=HEADERS).status_code == 200


@pytest.mark.parametrize("path,data", [
    ("/login", {"username": "admin\x00", "password": "x"}),
    ("/login", {"username": "a", "password": "\x00"}),
    ("/events?q=\x00", None),
])
def test_a_nul_byte_is_a_400(client, path, data):
    resp = client.post(path, data=data) if data else client.get(path)
    assert resp.status_code == 400
    assert "không hợp lệ" in resp.text or "không hiểu" in resp.text.lower() or resp.status_code == 400


def test_a_nul_byte_in_a_registration_form(client):
    event = create_event(capacity=10)
    resp = client.post(f"/events/{event.id}", data={"full_name": "An\x00", "consent": "y"})
    assert resp.status_code == 400


@pytest.mark.parametrize("endpoint", ["/api/checkin/scan", "/api/checkin/sync", "/api/checkin/undo",
                                      "/api/checkin/devices/activate"])
def test_deeply_nested_json_is_a_400(login_as, factory, endpoint):
    admin = login_as(factory.user("admin"))
    for body in ("[" * 100_000 + "]" * 100_000, '{"a":' * 5000 + "1" + "}" * 5000,
                 json.dumps({"x": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}),
                 '{"uuid": "\\u0000"}', '{"event_id": 1' + "0" * 400 + "}"):
        resp = admin.post(endpoint, data=body, content_type="application/json", headers=HEADERS)
        assert 400 <= resp.status_code < 500, (endpoint, body[:40], resp.status_code)
        assert resp.is_json


def test_a_scan_with_a_huge_event_id_is_refused(login_as, factory):
    admin = login_as(factory.user("admin"))
    resp = admin.post("/api/checkin/scan", json=scan_body(10**25, code="X"), headers=HEADERS)
    assert 400 <= resp.status_code < 500


def test_int_arg_bounds(app):
    with app.test_request_context(f"/?a={BIG}&b=12&c=-3&d=x&e=%EF%BC%91"):
        assert int_arg("a") is None and int_arg("a", 1) == 1
        assert int_arg("b") == 12 and int_arg("b", maximum=10) is None
        assert int_arg("c") == -3 and int_arg("c", minimum=0) is None
        assert int_arg("d") is None and int_arg("missing", 7) == 7
        assert int_arg("e") is None  # a full-width digit is not a number here
        from flask import request

        assert request.args.get("a", type=int) is None and request.args.get("b", type=int) == 12


def test_json_checks():
    check_json({"a": [1, "b", {"c": None}]})
    deep = current = []
    for _ in range(MAX_JSON_DEPTH + 1):
        current.append([])
        current = current[0]
    with pytest.raises(ValueError):
        check_json(deep)
    with pytest.raises(ValueError):
        check_json({"a\x00": 1})
    with pytest.raises(ValueError):
        check_json([10**30])


def test_form_integer_fields_refuse_numbers_no_column_holds(app):
    from flask_wtf import FlaskForm
    from wtforms import IntegerField, SelectField, SelectMultipleField

    from campaign.core.requests import bound_form_integers

    bound_form_integers()
    bound_form_integers()  # idempotent

    class F(FlaskForm):
        n = IntegerField()
        s = SelectField(coerce=int, validate_choice=False)
        m = SelectMultipleField(coerce=int, validate_choice=False)

    with app.test_request_context("/", method="POST", data={"n": BIG, "s": BIG, "m": ["1", BIG]}):
        form = F()
        assert form.n.data is None and form.s.data is None and form.m.data == []
        assert not form.validate()
    with app.test_request_context("/", method="POST", data={"n": "12", "s": "3", "m": ["1", "2"]}):
        form = F()
        assert (form.n.data, form.s.data, form.m.data) == (12, 3, [1, 2])


def test_staff_registration_with_a_huge_commune(login_as, factory):
    event = create_event(capacity=10)
    admin = login_as(factory.user("admin"))
    resp = admin.post(f"/manage/events/{event.id}/register", data={"full_name": "An", "commune_code": "9" * 30})
    assert resp.status_code < 500
