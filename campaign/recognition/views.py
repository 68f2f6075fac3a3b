"""Recognition pages: the province's rounds, a round's candidates and decisions, the documents (PDF)
and their public verification page (the QR code on the document)."""

from __future__ import annotations

import os

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from campaign.accounts import permissions as perm
from campaign.accounts.models import PROVINCE_COORDINATOR
from campaign.campaigns.models import Campaign
from campaign.core.web import attempt
from campaign.extensions import db
from campaign.recognition import services
from campaign.recognition.forms import AWARD_LABELS, SUBJECT_LABELS, DecisionForm, RoundForm
from campaign.recognition.models import RecognitionDecision, RecognitionRound

bp = Blueprint("recognition", __name__, url_prefix="/recognition")


@bp.app_context_processor
def _labels():
    return {"recognition_labels": {"awards": AWARD_LABELS, "subjects": SUBJECT_LABELS}}


def _base_url() -> str:
    return current_app.config.get("PUBLIC_BASE_URL") or os.environ.get("PUBLIC_BASE_URL") or request.url_root


def _or_404(model, key):
    obj = db.session.get(model, key)
    if obj is None:
        abort(404)
    return obj


def _round_form() -> RoundForm:
    form = RoundForm()
    stmt = select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id).limit(200)
    provinces = perm.province_codes(current_user)
    if provinces is not None:
        stmt = stmt.where(Campaign.province_code.in_(provinces or {-1}))
    form.campaign_id.choices = [(c.id, c.name) for c in db.session.scalars(stmt)]
    return form


@bp.route("/", methods=["GET", "POST"])
@login_required
@perm.roles_required(PROVINCE_COORDINATOR)
def index():
    form = _round_form()
    if form.validate_on_submit():
        campaign = db.session.get(Campaign, form.campaign_id.data) if form.campaign_id.data else None
        if campaign is None:
            form.campaign_id.errors = [_("Choose the campaign.")]
        else:
            perm.require(services.can_manage(current_user, campaign.province_code))
            outcome = attempt(lambda: services.create_round(current_user, campaign, form.title.data,
                                                            form.starts_on.data, form.ends_on.data), form)
            if outcome:
                return redirect(url_for("recognition.round_page", round_id=outcome.value.id))
    rounds = services.rounds(perm.province_codes(current_user))
    return render_template("recognition/index.html", form=form, rounds=rounds,
                           counts=services.counts(r.id for r in rounds)), (400 if form.errors else 200)


def _decision_form(rnd: RecognitionRound, candidates: dict, form: DecisionForm | None = None) -> DecisionForm:
    form = form or DecisionForm()
    choices = [("", _("— choose —"))]
    choices += [(f"volunteer:{c.profile.id}", f"{SUBJECT_LABELS['volunteer']}: {c.profile.full_name}")
                for c in candidates["volunteers"]]
    choices += [(f"commune:{c.commune.code}", f"{SUBJECT_LABELS['commune']}: {c.commune.name}")
                for c in candidates["communes"]]
    choices += [(f"team:{t.team.id}", f"{SUBJECT_LABELS['team']}: {t.team.name}") for t in candidates["teams"]]
    form.subject.choices = choices
    return form


def _round_page(rnd: RecognitionRound, form: DecisionForm | None = None, status: int = 200):
    candidates = {"volunteers": services.volunteer_candidates(rnd), "communes": services.commune_candidates(rnd),
                  "teams": services.team_candidates(rnd)}
    decided = {(d.subject_kind, d.subject_id) for d in rnd.decisions}
    return render_template("recognition/round.html", rnd=rnd, candidates=candidates, decided=decided,
                           form=_decision_form(rnd, candidates, form)), status


@bp.get("/<int:round_id>")
@login_required
def round_page(round_id: int):
    rnd = _or_404(RecognitionRound, round_id)
    perm.require(services.can_manage(current_user, rnd.province_code))
    return _round_page(rnd)


def _subject(value: str) -> tuple[str, int] | None:
    kind, _sep, key = (value or "").partition(":")
    if kind not in SUBJECT_LABELS or not key.isdigit() or len(key) > 9:
        return None
    return kind, int(key)


@bp.post("/<int:round_id>/decisions")
@login_required
def decide(round_id: int):
    rnd = _or_404(RecognitionRound, round_id)
    perm.require(services.can_manage(current_user, rnd.province_code))
    form = DecisionForm()
    if form.validate_on_submit():
        subject = _subject(form.subject.data)
        if subject is None:
            form.subject.errors = [_("Choose a candidate of this province.")]
        else:
            outcome = attempt(lambda: services.decide(
                current_user, rnd, subject_kind=subject[0], subject_id=subject[1], award=form.award.data,
                decided_by=form.decided_by.data, decision_number=form.decision_number.data,
                decided_on=form.decided_on.data, reason=form.reason.data or "", base_url=_base_url()), form,
                conflict=_("This candidate already has a decision in this round."), conflict_field="subject")
            if outcome:
                flash(_("The decision is recorded and its document issued."), "success")
                return redirect(url_for("recognition.round_page", round_id=rnd.id) + "#decisions")
    return _round_page(rnd, form, 400)


@bp.get("/decisions/<int:decision_id>/pdf")
@login_required
def document(decision_id: int):
    decision = _or_404(RecognitionDecision, decision_id)
    perm.require(services.can_manage(current_user, decision.round.province_code))
    pdf = decision.pdf or services.document_pdf(decision, _base_url())
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="khen-thuong-{decision.id}.pdf"'
    return resp


@bp.post("/decisions/<int:decision_id>/revoke")
@login_required
def revoke(decision_id: int):
    decision = _or_404(RecognitionDecision, decision_id)
    perm.require(services.can_manage(current_user, decision.round.province_code))
    if attempt(lambda: services.revoke(current_user, decision)):
        flash(_("The decision is revoked: its document no longer verifies."), "success")
    return redirect(url_for("recognition.round_page", round_id=decision.round_id) + "#decisions")


@bp.get("/verify/<token>")
def verify(token: str):
    """Public verification (the document's QR code): valid or not, and the minimum facts."""
    decision = services.find(token)
    if decision is None:
        return render_template("recognition/verify.html", decision=None), 404
    return render_template("recognition/verify.html", decision=decision)
