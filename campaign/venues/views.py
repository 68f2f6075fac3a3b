from __future__ import annotations

from datetime import date, time, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from campaign.accounts import permissions as perm
from campaign.accounts.forms import ConfirmForm
from campaign.core.services import DomainError
from campaign.core.timeutil import format_datetime, local_moment, local_today, parse_local_date, week_start
from campaign.core.web import Page, attempt, form_error, page_arg
from campaign.extensions import db
from campaign.units import services as units
from campaign.units.models import Commune
from campaign.venues import services
from campaign.venues.forms import (
    EQUIPMENT_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    WEEKDAY_LABELS,
    BookingForm,
    CancelForm,
    ClosureForm,
    PhotoForm,
    RejectForm,
    SearchForm,
    SeriesForm,
    VenueForm,
)
from campaign.venues.models import BOOKING_STATUSES, EQUIPMENT, Booking, Closure, Venue, VenuePhoto

bp = Blueprint("venues", __name__, url_prefix="/venues")
BOOKERS = services.BOOKERS
REQUESTERS = services.REQUESTERS


@bp.context_processor
def labels():
    return {"kind_labels": KIND_LABELS, "equipment_labels": EQUIPMENT_LABELS, "status_labels": STATUS_LABELS,
            "weekday_labels": WEEKDAY_LABELS, "minutes_label": services.minutes_label}


def _commune_or_404(code: int) -> Commune:
    commune = db.session.get(Commune, code)
    if commune is None:
        abort(404)
    return commune


def _venue_or_404(venue_id: int) -> Venue:
    venue = db.session.get(Venue, venue_id)
    if venue is None:
        abort(404)
    return venue


def _my_communes() -> list[Commune]:
    scope = perm.grant_scope(current_user, REQUESTERS)
    if scope.everything:
        return units.communes(province_code=current_app.config["DEFAULT_PROVINCE_CODE"])
    return units.communes(scope.condition(Commune.code, Commune.province_code))


def _search_communes() -> list[Commune]:
    """Own communes first, then every commune of the same provinces (outside venues may be open)."""
    mine = _my_communes()
    provinces = {c.province_code for c in mine} or {current_app.config["DEFAULT_PROVINCE_CODE"]}
    others = units.communes(province_codes=provinces)
    seen = {c.code for c in mine}
    return mine + [c for c in others if c.code not in seen]


@bp.get("/")
@perm.roles_required(*REQUESTERS)
def index():
    communes = _my_communes()
    if len(communes) == 1:
        return redirect(url_for("venues.commune", code=communes[0].code))
    return render_template("venues/index.html", communes=communes)


@bp.get("/search")
@perm.roles_required(*REQUESTERS)
def search():
    form = SearchForm(request.args)
    communes = _search_communes()
    form.commune.choices = [(c.code, c.name) for c in communes]
    results = None
    starts_at = ends_at = None
    if request.args and form.validate():
        starts_at = local_moment(form.day.data, form.start.data)
        ends_at = local_moment(form.day.data, form.end.data)
        try:
            results = services.search_free(current_user, form.commune.data, starts_at, ends_at,
                                           form.capacity.data, [e for e in form.equipment.data or [] if e in EQUIPMENT])
        except DomainError as err:
            form_error(form, err)
    elif not request.args:
        form.commune.data = communes[0].code if communes else None
    return render_template("venues/search.html", form=form, results=results, starts_at=starts_at, ends_at=ends_at)


@bp.get("/communes/<int:code>")
@login_required
def commune(code: int):
    commune = _commune_or_404(code)
    perm.require(perm.acts_in_province(current_user, perm.province_of(code), REQUESTERS))
    venues = db.session.scalars(select(Venue).where(services.outside_condition(current_user, code))
                                .options(selectinload(Venue.equipment)).order_by(Venue.name)).all()
    return render_template("venues/commune.html", commune=commune, venues=venues,
                           can_edit=perm.can_in_commune(current_user, code, BOOKERS),
                           outside_only=not perm.can_in_commune(current_user, code, REQUESTERS))


def _venue_form(commune_code: int, venue: Venue | None = None) -> VenueForm:
    form = VenueForm(obj=venue) if venue else VenueForm()
    form.managers.choices = [(u.id, u.full_name) for u in services.manager_candidates(commune_code)]
    if venue is not None and request.method == "GET":
        form.managers.data = [m.id for m in venue.managers]
        for item, qty in venue.equipment_map().items():
            form[f"eq_{item}"].data = qty
        for weekday, (opens, closes) in venue.hours_map().items():
            form[f"opens_{weekday}"].data = time(opens // 60, opens % 60)
            form[f"closes_{weekday}"].data = time(min(closes, 1439) // 60, min(closes, 1439) % 60)
    elif venue is None and request.method == "GET":
        for weekday in range(7):
            form[f"opens_{weekday}"].data = time(7, 30)
            form[f"closes_{weekday}"].data = time(21, 0)
    return form


def _venue_data(form: VenueForm) -> services.VenueData:
    hours = {}
    for weekday in range(7):
        opens, closes = form[f"opens_{weekday}"].data, form[f"closes_{weekday}"].data
        if opens is None and closes is None:
            continue
        if opens is None or closes is None:
            raise DomainError(_("Give both the opening and the closing time, or neither."), f"opens_{weekday}")
        close_min = closes.hour * 60 + closes.minute
        if close_min == 1439:
            close_min = 1440
        hours[weekday] = (opens.hour * 60 + opens.minute, close_min)
    return services.VenueData(
        name=form.name.data or "", kind=form.kind.data, address=form.address.data or "", capacity=form.capacity.data,
        latitude=form.latitude.data, longitude=form.longitude.data, step_free=form.step_free.data,
        accessible_toilet=form.accessible_toilet.data, needs_approval=form.needs_approval.data,
        allow_outside=form.allow_outside.data, min_notice_hours=form.min_notice_hours.data,
        max_duration_hours=form.max_duration_hours.data, notes=form.notes.data or "",
        equipment={item: form[f"eq_{item}"].data or 0 for item in EQUIPMENT}, hours=hours,
        manager_ids=form.managers.data or [], active=form.active.data)


@bp.route("/communes/<int:code>/new", methods=["GET", "POST"])
@login_required
def venue_new(code: int):
    commune = _commune_or_404(code)
    perm.require_commune(code, BOOKERS)
    form = _venue_form(code)
    if form.validate_on_submit():
        outcome = attempt(lambda: services.create_venue(current_user, code, _venue_data(form)), form,
                          conflict=_("This commune already has a venue with this name."), conflict_field="name")
        if outcome:
            flash(_("Venue added."), "success")
            return redirect(url_for("venues.detail", venue_id=outcome.value.id))
    return render_template("venues/venue_form.html", form=form, commune=commune, venue=None)


@bp.route("/<int:venue_id>/edit", methods=["GET", "POST"])
@login_required
def venue_edit(venue_id: int):
    venue = _venue_or_404(venue_id)
    perm.require(services.can_manage_venue(current_user, venue))
    form = _venue_form(venue.commune_code, venue)
    if form.validate_on_submit():
        if attempt(lambda: services.update_venue(current_user, venue, _venue_data(form)), form,
                   conflict=_("This commune already has a venue with this name."), conflict_field="name"):
            flash(_("Venue saved."), "success")
            return redirect(url_for("venues.detail", venue_id=venue.id))
    return render_template("venues/venue_form.html", form=form, commune=venue.commune, venue=venue)


@bp.get("/<int:venue_id>")
@login_required
def detail(venue_id: int):
    venue = _venue_or_404(venue_id)
    perm.require(services.can_see_venue(current_user, venue))
    closures = db.session.scalars(select(Closure).where(
        Closure.venue_id == venue.id, Closure.ends_at > services.utcnow()).order_by(Closure.starts_at)).all()
    return render_template("venues/detail.html", venue=venue, closures=closures,
                           can_manage=services.can_manage_venue(current_user, venue),
                           can_approve=services.can_approve(current_user, venue),
                           can_book=services.can_book(current_user, venue),
                           photo_form=PhotoForm(), confirm=ConfirmForm())


# --- photos -----------------------------------------------------------------------------------

@bp.post("/<int:venue_id>/photos")
@login_required
def photo_upload(venue_id: int):
    venue = _venue_or_404(venue_id)
    perm.require(services.can_look_after(current_user, venue))
    form = PhotoForm()
    if form.validate_on_submit():
        upload = form.photo.data

        def add():
            if not upload or not getattr(upload, "stream", None):
                raise DomainError(_("Choose a photo to upload."), "photo")
            services.add_photo(current_user, venue, upload.stream, form.caption.data or "")

        if attempt(add):
            flash(_("Photo added."), "success")
    else:
        flash(_("The photo could not be uploaded. Try again."), "danger")
    return redirect(url_for("venues.detail", venue_id=venue.id) + "#photos")


@bp.get("/photos/<int:photo_id>/<any(full, thumb):size>.jpg")
@login_required
def photo(photo_id: int, size: str):
    """Serve only files registered as photos of a venue the user may see, by their stored random
    names (never a path from the request). Files were re-encoded on upload, without metadata."""
    photo = db.session.get(VenuePhoto, photo_id)
    if photo is None:
        abort(404)
    perm.require(services.can_see_venue(current_user, photo.venue))
    name = photo.filename if size == "full" else photo.thumb_filename
    resp = send_from_directory(services.upload_dir(photo.venue_id), name, mimetype="image/jpeg", max_age=3600)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


@bp.post("/photos/<int:photo_id>/delete")
@login_required
def photo_delete(photo_id: int):
    photo = db.session.get(VenuePhoto, photo_id)
    if photo is None:
        abort(404)
    venue_id = photo.venue_id
    perm.require(services.can_look_after(current_user, photo.venue))
    if ConfirmForm().validate_on_submit() and attempt(lambda: services.delete_photo(current_user, photo)):
        flash(_("Photo deleted."), "success")
    return redirect(url_for("venues.detail", venue_id=venue_id) + "#photos")


# --- closures ---------------------------------------------------------------------------------

@bp.route("/<int:venue_id>/closures/new", methods=["GET", "POST"])
@login_required
def closure_new(venue_id: int):
    venue = _venue_or_404(venue_id)
    perm.require(services.can_look_after(current_user, venue))
    form = ClosureForm()
    affected = []
    if form.validate_on_submit():
        starts_at = local_moment(form.start_day.data, form.start.data)
        ends_at = local_moment(form.end_day.data, form.end.data)
        outcome = attempt(lambda: services.add_closure(current_user, venue, starts_at=starts_at, ends_at=ends_at,
                                                       reason=form.reason.data, on_conflict=form.on_conflict.data),
                          form)
        if outcome:
            _closure, affected = outcome.value
            flash(_("Closure added; %(n)s bookings were affected.", n=len(affected)), "success")
            return redirect(url_for("venues.detail", venue_id=venue.id))
        if outcome.error.field == "on_conflict" and ends_at > starts_at:
            affected = services.bookings_in(venue.id, starts_at, ends_at)
    return render_template("venues/closure_form.html", form=form, venue=venue, affected=affected)


@bp.post("/closures/<int:closure_id>/delete")
@login_required
def closure_delete(closure_id: int):
    closure = db.session.get(Closure, closure_id)
    if closure is None:
        abort(404)
    venue_id = closure.venue_id
    perm.require(services.can_look_after(current_user, closure.venue))
    if ConfirmForm().validate_on_submit() and attempt(lambda: services.delete_closure(current_user, closure)):
        flash(_("Closure removed."), "success")
    return redirect(url_for("venues.detail", venue_id=venue_id))


# --- booking ----------------------------------------------------------------------------------

@bp.route("/<int:venue_id>/book", methods=["GET", "POST"])
@login_required
def book(venue_id: int):
    venue = _venue_or_404(venue_id)
    perm.require(services.can_book(current_user, venue))
    form = BookingForm()
    form.event_id.choices = [("", _("— none —"))] + [
        (e.id, f"{e.title} ({format_datetime(e.starts_at)})") for e in services.bookable_events(current_user, venue)]
    if request.method == "GET":
        form.event_id.data = request.args.get("event", type=int)
        form.day.data = _arg_date("day")
        form.start.data = _arg_time("start")
        form.end.data = _arg_time("end")
    way_out = None
    if form.validate_on_submit():
        starts_at = local_moment(form.day.data, form.start.data)
        ends_at = local_moment(form.day.data, form.end.data)
        outcome = attempt(lambda: services.request_booking(current_user, venue, starts_at=starts_at, ends_at=ends_at,
                                                           purpose=form.purpose.data,
                                                           expected_attendance=form.expected_attendance.data,
                                                           event_id=form.event_id.data), show=False)
        if outcome:
            booking = outcome.value
            flash(_("Booking approved.") if booking.status == "approved" else
                  _("Request sent; the venue's managers will decide."), "success")
            return redirect(url_for("venues.booking", booking_id=booking.id))
        form_error(form, _map_field(outcome.error))
        way_out = services.way_out_of_clash(current_user, venue, starts_at, ends_at, form.expected_attendance.data)
    return render_template("venues/book.html", form=form, venue=venue, way_out=way_out)


def _map_field(err: DomainError) -> DomainError:
    err.field = {"starts": "start", "ends": "end"}.get(err.field, err.field)
    return err


def _arg_date(name: str) -> date | None:
    """A date of the query string: dd/mm/yyyy or yyyy-mm-dd (None when missing or wrong)."""
    try:
        return parse_local_date(request.args.get(name, ""))
    except ValueError:
        return None


def _arg_time(name: str) -> time | None:
    try:
        return time.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/<int:venue_id>/book/weekly", methods=["GET", "POST"])
@login_required
def book_weekly(venue_id: int):
    venue = _venue_or_404(venue_id)
    perm.require(services.can_book(current_user, venue))
    form = SeriesForm()
    occurrences = None
    if form.validate_on_submit():
        args = dict(first=form.first.data, until=form.until.data, start=form.start.data, end=form.end.data,
                    attendance=form.expected_attendance.data)
        if form.submit.data:
            outcome = attempt(lambda: services.create_series(
                current_user, venue, purpose=form.purpose.data, skip_conflicts=form.skip_conflicts.data, **args), form)
        else:  # a preview: nothing is written
            outcome = attempt(lambda: services.preview_series(current_user, venue, **args), form)
        if outcome and form.submit.data:
            _series, bookings = outcome.value
            flash(_("%(n)s requests sent.", n=len(bookings)), "success")
            return redirect(url_for("venues.my_bookings"))
        if outcome:
            occurrences = outcome.value
        elif outcome.error.field == "skip_conflicts":
            occurrences = services.preview_series(current_user, venue, **args)
    return render_template("venues/book_weekly.html", form=form, venue=venue, occurrences=occurrences)


@bp.get("/<int:venue_id>/week")
@login_required
def week(venue_id: int):
    venue = _venue_or_404(venue_id)
    perm.require(services.can_see_venue(current_user, venue))
    start = week_start(_arg_date("start") or local_today())
    days = services.week_view(venue, start)
    return render_template("venues/week.html", venue=venue, days=days, start=start,
                           prev=start - timedelta(days=7), next=start + timedelta(days=7),
                           show_purpose=services.can_approve(current_user, venue))


def _booking_or_404(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        abort(404)
    return booking


@bp.get("/bookings/<int:booking_id>")
@login_required
def booking(booking_id: int):
    booking = _booking_or_404(booking_id)
    can_decide = services.can_approve(current_user, booking.venue)
    perm.require(can_decide or booking.requester_id == current_user.id)
    clashes = services.approved_overlapping(booking.venue_id, booking.starts_at, booking.ends_at,
                                            exclude_id=booking.id) if booking.status == "pending" else []
    return render_template("venues/booking.html", booking=booking, can_decide=can_decide, clashes=clashes,
                           can_cancel=services.can_cancel(current_user, booking), confirm=ConfirmForm(),
                           reject_form=RejectForm(), cancel_form=CancelForm())


@bp.post("/bookings/<int:booking_id>/approve")
@login_required
def approve(booking_id: int):
    booking = _booking_or_404(booking_id)
    perm.require(services.can_approve(current_user, booking.venue))
    if ConfirmForm().validate_on_submit():
        outcome = attempt(lambda: services.approve(current_user, booking))
        if outcome:
            flash(_("Booking approved."), "success")
            if losers := outcome.value:
                flash(_("%(n)s colliding requests were rejected and their requesters notified.", n=len(losers)),
                      "info")
    return redirect(url_for("venues.booking", booking_id=booking_id))


@bp.post("/bookings/<int:booking_id>/reject")
@login_required
def reject(booking_id: int):
    booking = _booking_or_404(booking_id)
    perm.require(services.can_approve(current_user, booking.venue))
    form = RejectForm()
    if form.validate_on_submit():
        if attempt(lambda: services.reject(current_user, booking, form.reason.data)):
            flash(_("Request rejected."), "success")
    else:
        flash(_("Give the reason for the rejection."), "danger")
    return redirect(url_for("venues.booking", booking_id=booking_id))


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id: int):
    booking = _booking_or_404(booking_id)
    perm.require(services.can_approve(current_user, booking.venue) or booking.requester_id == current_user.id)
    form = CancelForm()
    if form.validate_on_submit():
        if attempt(lambda: services.cancel(current_user, booking, form.reason.data or "")):
            flash(_("Booking cancelled."), "success")
    return redirect(url_for("venues.booking", booking_id=booking_id))


def _booking_list_stmt():
    return (select(Booking, services.collides_with_approved().label("flagged"))
            .options(joinedload(Booking.venue), joinedload(Booking.requester))
            .order_by(Booking.starts_at.desc(), Booking.id.desc()))


@bp.get("/communes/<int:code>/bookings")
@login_required
def commune_bookings(code: int):
    commune = _commune_or_404(code)
    perm.require_commune(code, BOOKERS)
    status = request.args.get("status", "")
    stmt = _booking_list_stmt().join(Venue, Booking.venue_id == Venue.id).where(Venue.commune_code == code)
    if status in BOOKING_STATUSES:
        stmt = stmt.where(Booking.status == status)
    page = Page(stmt, page_arg(), per_page=50, scalars=False)
    return render_template("venues/bookings.html", commune=commune, page=page, status=status, mine=False)


@bp.get("/bookings/mine")
@perm.roles_required(*REQUESTERS)
def my_bookings():
    stmt = _booking_list_stmt().where(Booking.requester_id == current_user.id)
    page = Page(stmt, page_arg(), per_page=50, scalars=False)
    return render_template("venues/bookings.html", commune=None, page=page, status="", mine=True)
