"""SMS and Zalo adapters against local HTTP servers (success, temporary error retried, permanent error
failed with its reason); SMS text unaccented to fit one segment; the segment count recorded."""

from __future__ import annotations

import json

from campaign.messages import outbox
from campaign.messages.channels import sms_segments, unaccent
from tests.messages.helpers import make_event, messages, register


def sms_config(app, gateway) -> None:
    app.config.update(MESSAGES_SMS_URL=gateway.url, MESSAGES_SMS_API_KEY="secret-key", MESSAGES_SMS_BRAND="BDHVS")


def zalo_config(app, gateway) -> None:
    app.config.update(MESSAGES_ZALO_URL=gateway.url, MESSAGES_ZALO_ACCESS_TOKEN="oa-token",
                      MESSAGES_ZALO_TEMPLATES=json.dumps({"registration_confirmed": "301234"}))


def test_unaccent_and_segments():
    assert unaccent("Đồng Nai – Phường Trấn Biên") == "Dong Nai - Phuong Tran Bien"
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2 and sms_segments("a" * 307) == 3
    assert sms_segments("Đ" * 70) == 1 and sms_segments("Đ" * 71) == 2  # accents need UCS-2


def test_sms_success_sends_an_unaccented_text_in_one_segment(app, gateway):
    sms_config(app, gateway)
    gateway.script = [(200, {"id": "sms-77"})]
    event = make_event(title="Hướng dẫn cài đặt và sử dụng ứng dụng VNeID mức độ 2 cho người cao tuổi ở khu phố")
    _reg, token = register(event, phone="0912 345 678")
    assert outbox.deliver_due()["sent"] == 1
    [req] = gateway.requests
    body = req["body"]
    assert req["headers"]["Authorization"] == "Bearer secret-key"
    assert body["to"] == "+84912345678" and body["brand"] == "BDHVS"
    assert body["text"].isascii() and len(body["text"]) <= 160
    assert f"/r/{token}" in body["text"]  # the link is never cut
    assert body["text"].startswith("Da dang ky: Huong dan")
    [row] = messages()
    assert (row.status, row.channel, row.provider_id, row.segments) == ("sent", "sms", "sms-77", 1)


def test_sms_temporary_error_is_retried_and_permanent_error_fails(app, gateway):
    sms_config(app, gateway)
    gateway.script = [(503, {"error": "busy"}), (400, {"error": "invalid number"})]
    event = make_event()
    register(event, phone="0912345678")
    assert outbox.deliver_due()["retry"] == 1
    [row] = messages()
    assert (row.status, row.last_error) == ("queued", "503 busy")
    assert outbox.deliver_due(now=row.due_at)["failed"] == 1
    [row] = messages()
    assert (row.status, row.last_error, row.attempts) == ("failed", "400 invalid number", 2)


def test_zalo_template_message_success_temporary_and_permanent(app, gateway):
    zalo_config(app, gateway)
    gateway.script = [(200, {"error": -32, "message": "Exceed rate limit"}),
                      (200, {"error": 0, "message": "Success", "data": {"msg_id": "zns-1"}})]
    event = make_event()
    _reg, token = register(event, phone="0912345678")
    assert outbox.deliver_due()["retry"] == 1
    [row] = messages()
    assert row.channel == "zalo" and "-32" in row.last_error
    assert outbox.deliver_due(now=row.due_at)["sent"] == 1
    body = gateway.requests[-1]["body"]
    assert {k.lower(): v for k, v in gateway.requests[-1]["headers"].items()}["access_token"] == "oa-token"
    assert body["phone"] == "84912345678" and body["template_id"] == "301234"
    assert body["template_data"]["title"] == "Hướng dẫn cài VNeID"
    assert body["template_data"]["link"].endswith(f"/r/{token}")
    [row] = messages()
    assert (row.status, row.provider_id) == ("sent", "zns-1")
    # a permanent ZNS error (e.g. the phone has no Zalo account) fails with Zalo's reason
    gateway.script = [(200, {"error": -108, "message": "Phone number is invalid"})]
    register(make_event(), name="Người khác", phone="0987654321")
    assert outbox.deliver_due()["failed"] == 1
    assert messages()[-1].last_error == "ZNS -108: Phone number is invalid"


def test_zalo_falls_back_to_sms_for_a_template_without_zns_approval(app, gateway):
    zalo_config(app, gateway)
    sms_config(app, gateway)
    app.config["MESSAGES_ZALO_TEMPLATES"] = json.dumps({})
    register(make_event(), phone="0912345678")
    assert messages()[0].channel == "sms"
