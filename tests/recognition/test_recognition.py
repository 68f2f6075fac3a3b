"""Recognition: candidates from the records, a decision, its document verified by its QR page."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import pypdfium2 as pdfium
import pytest
import zxingcpp

from campaign.campaigns.models import Indicator
from campaign.core.services import DomainError
from campaign.core.timeutil import local_today
from campaign.extensions import db
from campaign.recognition import services
from campaign.recognition.models import RecognitionDecision, RecognitionRound
from campaign.teams import services as teams
from tests.conftest import KHANH_HOA, LONG_THANH, TRAN_BIEN
from tests.events.conftest import create_campaign
from tests.teams.conftest import comms, served_shift, team_in
from tests.volunteers.conftest import make_profile  # noqa: F401 (fixture)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf))


def pdf_qr(pdf: bytes) -> list[str]:
    image = pdfium.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image)]


@pytest.fixture
def season(factory, make_profile):  # noqa: F811
    today = local_today()
    campaign = create_campaign(starts_on=today - timedelta(days=90), ends_on=today + timedelta(days=30))
    db.session.add(Indicator(campaign_id=campaign.id, code="1", name="Người được hỗ trợ", unit="hours",
                             target_value=10, metric="volunteer_hours"))
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    village = factory.village(TRAN_BIEN, name="Khu phố 3")
    busy, quiet = make_profile(), make_profile(commune=LONG_THANH)
    for days in (3, 10, 20):
        served_shift(campaign, busy, village, days)
    served_shift(campaign, quiet, None, 5, commune=LONG_THANH)
    team = team_in(factory, officer, village, [("Vũ Thị Giang", "leader")])
    comms(officer, TRAN_BIEN, [village], days=2)
    rnd = RecognitionRound(province_code=75, campaign_id=campaign.id, title="Tổng kết quý",
                           starts_on=today - timedelta(days=60), ends_on=today)
    db.session.add(rnd)
    db.session.commit()
    return {"round": rnd, "busy": busy, "quiet": quiet, "team": team, "campaign": campaign}


def test_candidates_come_from_the_records(season):
    rnd = season["round"]
    volunteers = services.volunteer_candidates(rnd)
    assert [(c.profile.id, c.hours, c.shifts, c.outcomes) for c in volunteers] == [
        (season["busy"].id, 9.0, 3, 12), (season["quiet"].id, 3.0, 1, 4)]
    communes = services.commune_candidates(rnd)
    assert [c.commune.code for c in communes[:2]] == [TRAN_BIEN, LONG_THANH]
    (team,) = services.team_candidates(rnd)
    assert team.team.id == season["team"].id and (team.communications, team.shifts) == (1, 3)


def test_a_decision_issues_a_document_verified_by_its_qr_page(app, factory, login_as, season):
    rnd = season["round"]
    coordinator = factory.user("province_coordinator", province=75)
    client = login_as(coordinator)
    resp = client.post(f"/recognition/{rnd.id}/decisions", data={
        "subject": f"team:{season['team'].id}", "award": "certificate_of_merit",
        "decided_by": "Chủ tịch UBND tỉnh Đồng Nai", "decision_number": "123/QĐ-UBND",
        "decided_on": local_today().isoformat(), "reason": "Tuyên truyền tới từng hộ dân"})
    assert resp.status_code == 302, resp.text
    decision = db.session.query(RecognitionDecision).one()
    pdf = client.get(f"/recognition/decisions/{decision.id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "BẰNG KHEN" in text and "123/QĐ-UBND" in text and "Tổ" in text
    (url,) = pdf_qr(pdf.data)
    path = urlsplit(url).path
    assert path == f"/recognition/verify/{decision.verify_token}"
    page = app.test_client().get(path)  # anyone holding the paper
    assert page.status_code == 200
    assert "Còn hiệu lực" in page.text and decision.recipient in page.text and "123/QĐ-UBND" in page.text
    assert client.post(f"/recognition/decisions/{decision.id}/revoke").status_code == 302
    page = app.test_client().get(path)
    assert "Đã thu hồi" in page.text and "Còn hiệu lực" not in page.text
    assert app.test_client().get("/recognition/verify/not-a-token").status_code == 404
    # one decision per candidate and round
    again = client.post(f"/recognition/{rnd.id}/decisions", data={
        "subject": f"team:{season['team'].id}", "award": "letter_of_thanks", "decided_by": "Sở KH&CN",
        "decision_number": "5/TCT", "decided_on": local_today().isoformat()})
    assert again.status_code == 400


def test_other_provinces_and_officers_are_refused(app, factory, login_as, season):
    rnd = season["round"]
    data = {"subject": f"commune:{TRAN_BIEN}", "award": "commendation", "decided_by": "UBND tỉnh",
            "decision_number": "1/QĐ", "decided_on": local_today().isoformat()}
    for user in (factory.user("province_coordinator", province=KHANH_HOA),
                 factory.user("commune_officer", commune=TRAN_BIEN)):
        client = login_as(user)
        assert client.post(f"/recognition/{rnd.id}/decisions", data=data).status_code == 403
        assert client.get(f"/recognition/{rnd.id}").status_code == 403
    assert db.session.query(RecognitionDecision).count() == 0
    coordinator = factory.user("province_coordinator", province=75)
    from campaign.units.models import Commune
    kh_commune = db.session.query(Commune).filter_by(province_code=KHANH_HOA).first()
    with pytest.raises(DomainError):
        services.decide(coordinator, rnd, subject_kind="commune", subject_id=kh_commune.code, award="commendation",
                        decided_by="UBND", decision_number="1", decided_on=date.today(), reason="",
                        base_url="http://x")
    with pytest.raises(DomainError):
        services.decide(coordinator, rnd, subject_kind="commune", subject_id=TRAN_BIEN, award="commendation",
                        decided_by="UBND", decision_number="1", decided_on=local_today() + timedelta(days=3),
                        reason="", base_url="http://x")
    with pytest.raises(DomainError):
        teams.create_team(coordinator, season["team"].village, "x")
