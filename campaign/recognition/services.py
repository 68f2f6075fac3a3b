"""Recognition (thi đua, khen thưởng) at the end of a period: candidates from the records, decisions,
and the recognition document, a PDF made by the courses' certificate engine (``courses.pdf``) with the
same QR verification: a random token, printed as a QR code to the public verification page.

Candidates (for the round's campaign, its sub-campaigns and period):
- volunteers by service hours (confirmed shifts starting in the period), then by outcomes (people
  helped, VNeID assisted, households visited);
- communes by progress on the campaign's indicators (``reports.metrics.progress`` as of the period's end);
- teams by activity (``teams.services.team_activity``: communications and shifts in their village).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from campaign.accounts import permissions as perm
from campaign.campaigns.models import Campaign
from campaign.core.services import DomainError, audit
from campaign.core.text import nfc
from campaign.core.timeutil import day_end, day_start, local_today
from campaign.courses.pdf import render_statement_pdf
from campaign.extensions import db
from campaign.recognition.models import AWARDS, SUBJECT_KINDS, RecognitionDecision, RecognitionRound
from campaign.reports import metrics
from campaign.teams import services as teams
from campaign.teams.models import Team
from campaign.units.models import Commune
from campaign.volunteers.models import Shift, Signup, SignupHelped, VolunteerProfile

CANDIDATES = 20
# The documents are official Vietnamese papers: their wording is Vietnamese whatever the interface language.
AWARD_TITLES = {"certificate_of_merit": "Bằng khen", "commendation": "Giấy khen", "letter_of_thanks": "Thư cảm ơn"}
SUBJECT_WORDS = {"volunteer": "Ông/Bà", "commune": "Tập thể", "team": "Tập thể"}


def can_manage(user, province_code: int | None) -> bool:
    """The province's coordinators run recognition (admins too)."""
    return perm.can_in_province(user, province_code)


def verify_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/recognition/verify/{token}"


def create_round(actor, campaign: Campaign, title: str, starts_on: date, ends_on: date) -> RecognitionRound:
    if not can_manage(actor, campaign.province_code):
        raise DomainError(_("Only the province's coordinators may run recognition."))
    title = nfc(title)
    if not title:
        raise DomainError(_("Enter the round's title."), "title")
    if ends_on < starts_on:
        raise DomainError(_("The period must not end before it starts."), "ends_on")
    rnd = RecognitionRound(province_code=campaign.province_code, campaign_id=campaign.id, title=title[:200],
                           starts_on=starts_on, ends_on=ends_on, created_by_id=getattr(actor, "id", None))
    db.session.add(rnd)
    db.session.flush()
    audit("recognition.round_created", rnd, actor=actor, campaign=campaign.id)
    return rnd


@dataclass
class VolunteerCandidate:
    profile: VolunteerProfile
    hours: float
    shifts: int
    outcomes: int  # people helped + VNeID assisted + households visited


def volunteer_candidates(rnd: RecognitionRound, limit: int = CANDIDATES) -> list[VolunteerCandidate]:
    """Volunteers of the province ranked by hours served in the period, then outcomes (two queries)."""
    ids = metrics.scope_ids(rnd.campaign)
    lo, hi = day_start(rnd.starts_on), day_end(rnd.ends_on)
    served = and_(Signup.status == "confirmed", Shift.campaign_id.in_(ids), Shift.starts_at >= lo, Shift.starts_at < hi)
    helped = (select(SignupHelped.signup_id, func.sum(SignupHelped.people).label("people"))
              .group_by(SignupHelped.signup_id).subquery())
    hours = func.coalesce(func.sum(Signup.hours), 0)
    outcomes = func.coalesce(func.sum(Signup.vneid_installed + Signup.vneid_verified + Signup.households_visited
                                      + func.coalesce(helped.c.people, 0)), 0)
    rows = db.session.execute(
        select(Signup.volunteer_id, hours, func.count(Signup.id), outcomes)
        .join(Shift, Shift.id == Signup.shift_id).outerjoin(helped, helped.c.signup_id == Signup.id)
        .join(VolunteerProfile, VolunteerProfile.id == Signup.volunteer_id)
        .join(Commune, Commune.code == VolunteerProfile.home_commune_code)
        .where(served, Commune.province_code == rnd.province_code)
        .group_by(Signup.volunteer_id).order_by(hours.desc(), outcomes.desc(), Signup.volunteer_id)
        .limit(limit)).all()
    profiles = {p.id: p for p in db.session.scalars(select(VolunteerProfile).where(
        VolunteerProfile.id.in_([r[0] for r in rows] or [-1])))}
    return [VolunteerCandidate(profiles[pid], round(float(h), 2), int(n), int(o)) for pid, h, n, o in rows
            if float(h) > 0 or int(o) > 0]


def commune_candidates(rnd: RecognitionRound, limit: int = 10) -> list:
    """Communes ranked by progress on the campaign's indicators at the period's end (reports.metrics)."""
    board = metrics.progress(rnd.campaign, start=rnd.starts_on, end=rnd.ends_on,
                             as_of=min(rnd.ends_on, max(local_today(), rnd.starts_on)))
    return [c for c in board.communes if c.progress > 0][:limit]


def team_candidates(rnd: RecognitionRound, limit: int = CANDIDATES) -> list[teams.TeamActivity]:
    return teams.team_activity(rnd.province_code, rnd.starts_on, rnd.ends_on, limit)


def _subject(rnd: RecognitionRound, kind: str, subject_id: int) -> tuple[str, int | None]:
    """The recipient's name to print and their commune; DomainError when not of the round's province."""
    if kind == "volunteer":
        profile = db.session.get(VolunteerProfile, subject_id)
        if profile is not None and profile.home_commune.province_code == rnd.province_code:
            return profile.full_name, profile.home_commune_code
    elif kind == "commune":
        commune = db.session.get(Commune, subject_id)
        if commune is not None and commune.province_code == rnd.province_code:
            return commune.name, commune.code
    elif kind == "team":
        team = db.session.get(Team, subject_id)
        if team is not None and perm.province_of(team.commune_code) == rnd.province_code:
            return f"{team.name} ({team.village.name})", team.commune_code
    raise DomainError(_("Choose a candidate of this province."), "subject")


def decide(actor, rnd: RecognitionRound, *, subject_kind: str, subject_id: int, award: str, decided_by: str,
           decision_number: str, decided_on: date, reason: str, base_url: str) -> RecognitionDecision:
    """Record a decision and issue its document (the PDF with its QR code is rendered now and kept)."""
    if not can_manage(actor, rnd.province_code):
        raise DomainError(_("Only the province's coordinators may run recognition."))
    if subject_kind not in SUBJECT_KINDS:
        raise DomainError(_("Choose a candidate of this province."), "subject")
    if award not in AWARDS:
        raise DomainError(_("Choose the form of recognition."), "award")
    decided_by, decision_number, reason = nfc(decided_by), nfc(decision_number), nfc(reason)
    if not decided_by:
        raise DomainError(_("Enter who decided (e.g. the Chairman of the provincial People's Committee)."),
                          "decided_by")
    if not decision_number:
        raise DomainError(_("Enter the decision's number."), "decision_number")
    if decided_on is None or decided_on > local_today():
        raise DomainError(_("Enter the decision's date (not in the future)."), "decided_on")
    recipient, commune_code = _subject(rnd, subject_kind, subject_id)
    if db.session.scalar(select(RecognitionDecision.id).where(
            RecognitionDecision.round_id == rnd.id, RecognitionDecision.subject_kind == subject_kind,
            RecognitionDecision.subject_id == subject_id)) is not None:
        raise DomainError(_("This candidate already has a decision in this round."), "subject")
    decision = RecognitionDecision(round_id=rnd.id, subject_kind=subject_kind, subject_id=subject_id,
                                   commune_code=commune_code, recipient=recipient[:200], award=award,
                                   reason=reason[:2000], decided_by=decided_by[:200],
                                   decision_number=decision_number[:40], decided_on=decided_on,
                                   verify_token=secrets.token_urlsafe(12), recorded_by_id=getattr(actor, "id", None))
    decision.round = rnd
    decision.pdf = document_pdf(decision, base_url)
    db.session.add(decision)
    db.session.flush()
    audit("recognition.decided", rnd, actor=actor, decision=decision.id, award=award, subject=subject_kind)
    return decision


def document_lines(decision: RecognitionDecision) -> list[str]:
    rnd = decision.round
    lines = [f"{SUBJECT_WORDS[decision.subject_kind]}: {decision.recipient}"]
    if decision.reason:
        lines.append(f"Đã có thành tích: {decision.reason}")
    lines.append(f"trong {rnd.campaign.name} ({rnd.title}), "
                 f"từ ngày {rnd.starts_on:%d/%m/%Y} đến ngày {rnd.ends_on:%d/%m/%Y}.")
    lines.append(f"Quyết định số {decision.decision_number} ngày {decision.decided_on:%d/%m/%Y}.")
    return lines


def document_pdf(decision: RecognitionDecision, base_url: str) -> bytes:
    """The recognition document (portrait A4): the national heading, the award as its title, the
    recipient and the achievement, the decision, and the QR code to its verification page."""
    return render_statement_pdf(AWARD_TITLES[decision.award], document_lines(decision),
                                issuing_unit=decision.decided_by.upper(), number=decision.decision_number,
                                place_date=f"Ngày {decision.decided_on:%d} tháng {decision.decided_on:%m} "
                                           f"năm {decision.decided_on:%Y}",
                                signer=decision.decided_by, qr_url=verify_url(base_url, decision.verify_token))


def revoke(actor, decision: RecognitionDecision) -> None:
    if not can_manage(actor, decision.round.province_code):
        raise DomainError(_("Only the province's coordinators may run recognition."))
    if decision.status != "valid":
        raise DomainError(_("This decision is already revoked."))
    decision.status = "revoked"
    audit("recognition.revoked", decision.round, actor=actor, decision=decision.id)


def find(token: str) -> RecognitionDecision | None:
    if not token or len(token) > 40:
        return None
    return db.session.scalar(select(RecognitionDecision).where(RecognitionDecision.verify_token == token))


def rounds(province_codes: set[int] | None) -> list[RecognitionRound]:
    stmt = select(RecognitionRound).order_by(RecognitionRound.ends_on.desc(), RecognitionRound.id.desc()).limit(100)
    if province_codes is not None:
        stmt = stmt.where(RecognitionRound.province_code.in_(province_codes or {-1}))
    return list(db.session.scalars(stmt))


def counts(round_ids) -> dict[int, int]:
    ids = list(round_ids)
    return dict(db.session.execute(select(RecognitionDecision.round_id, func.count(RecognitionDecision.id))
                                   .where(RecognitionDecision.round_id.in_(ids or [-1]))
                                   .group_by(RecognitionDecision.round_id)).all())


