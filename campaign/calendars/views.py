from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from campaign.accounts import permissions as perm
from campaign.accounts.forms import ConfirmForm
from campaign.calendars import ical, links, sources, tokens
from campaign.calendars.http import feed_response
from campaign.core.types import utcnow
from campaign.extensions import db, limiter

bp = Blueprint("calendars", __name__, url_prefix="/calendars")

FEED_NAMES = {
    "my_shifts": _l("My volunteer shifts"),
    "my_classes": _l("My classes"),
    "my_bookings": _l("My venue bookings"),
    "my_events": _l("Events I organise"),
    "organiser": _l("Everything in my area"),
}


def available_scopes(user) -> list[str]:
    """The private feeds that make sense for the user's roles."""
    scopes = []
    if perm.has_role(user, "volunteer"):
        scopes.append("my_shifts")
    scopes.append("my_classes")
    if perm.has_role(user, "commune_officer", "province_coordinator"):
        scopes.append("my_bookings")
    if perm.has_role(user, *perm.ORGANISERS):
        scopes += ["my_events", "organiser"]
    return [s for s in scopes if s in sources.PRIVATE] or scopes[:0]


def private_url(secret: str) -> str:
    return url_for("calendars.private_feed", secret=secret, _external=True)


@bp.route("/", methods=["GET", "POST"])
@login_required
def mine():
    scopes = available_scopes(current_user)
    new_link = None
    form = ConfirmForm()
    if request.method == "POST":
        scope = request.form.get("scope", "")
        action = request.form.get("action", "")
        if scope not in scopes or action not in ("issue", "revoke"):
            abort(400)
        if not form.validate_on_submit():
            abort(400)
        if action == "issue":
            secret = tokens.issue(current_user, scope)
            new_link = (scope, links.subscribe_links(private_url(secret), str(FEED_NAMES[scope])))
        else:
            tokens.revoke(current_user, scope)
        db.session.commit()
    return render_template("calendars/mine.html", scopes=scopes, names=FEED_NAMES, form=form,
                           live=tokens.live_scopes(current_user), new_link=new_link)


@bp.get("/private/<secret>.ics")
@limiter.limit("120 per minute")
def private_feed(secret: str):
    token = tokens.lookup(secret)
    if token is None:
        abort(404)
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 3600:
        token.last_used_at = now
        db.session.commit()
    items = sources.private_items(token.user, token.scope)
    name = _("%(feed)s — %(name)s", feed=FEED_NAMES[token.scope], name=token.user.full_name)
    body = ical.render(name, items)
    return feed_response(body, ical.last_modified(items), f"{token.scope}.ics", private=True)
