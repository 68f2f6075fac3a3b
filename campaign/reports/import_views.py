"""The import pages (villages, residents and learners, volunteers): template, upload → preview → import.

Registered on the reports blueprint (``views.bp``). The flow is the targets import's: the first POST
checks every row and shows the preview (nothing written) with every bad row and its reason; the preview
carries the file back (base64) and "Import" checks it again and writes every row or none, in one commit.
"""

from __future__ import annotations

import base64
import binascii

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.accounts import permissions as perm
from campaign.core import tabular
from campaign.core.services import DomainError
from campaign.extensions import db
from campaign.reports.importers import IMPORTERS
from campaign.reports.views import _download, bp

KINDS = "any(villages, residents, volunteers)"
IMPORT_ROLES = perm.ORGANISERS


def _importer(kind: str):
    importer = IMPORTERS[kind]
    if not perm.has_role(current_user, *importer.roles):
        abort(403)
    return importer


@bp.get("/imports/")
@login_required
def imports_index():
    if not perm.has_role(current_user, *IMPORT_ROLES):
        abort(403)
    allowed = [i for i in IMPORTERS.values() if perm.has_role(current_user, *i.roles)]
    return render_template("reports/imports.html", importers=allowed)


@bp.get(f"/imports/<{KINDS}:kind>/template.xlsx")
@login_required
def import_template(kind: str):
    importer = _importer(kind)
    return _download(importer.template(current_user), tabular.XLSX_MIME, f"mau-nhap-{kind}.xlsx")


def _options(importer) -> dict:
    return {"course_id": request.form.get("course_id") or ""} if importer.kind == "residents" else {}


@bp.route(f"/imports/<{KINDS}:kind>", methods=["GET", "POST"])
@login_required
def run_import(kind: str):
    """Upload → preview (every row checked, bad rows listed) → import all rows or none."""
    importer = _importer(kind)
    checked, error, payload, filename = None, None, "", ""
    options = _options(importer)
    if request.method == "POST":
        if request.form.get("payload"):  # the confirmed preview: the same file, checked again
            filename = request.form.get("filename", "")
            try:
                data = base64.b64decode(request.form["payload"], validate=True)
            except (ValueError, binascii.Error):
                data = b""
        else:
            upload = request.files.get("file")
            filename = upload.filename if upload else ""
            data = upload.read(tabular.MAX_BYTES + 1) if upload else b""
        try:
            if not data:
                raise DomainError(_("Choose a file to upload."), "file")
            checked = importer.check(current_user, filename, data, options)
            if request.form.get("confirm") and checked.ok:
                counts = importer.apply(current_user, checked, options)
                db.session.commit()
                flash(_("Imported: %(n)d rows (%(detail)s).", n=len(checked.rows), detail=_detail(importer, counts)),
                      "success")
                return redirect(url_for("reports.run_import", kind=kind))
            payload = base64.b64encode(data).decode() if checked.ok else ""
        except DomainError as err:
            db.session.rollback()
            error = err.message
    courses = importer.courses(current_user) if kind == "residents" else []
    status = 422 if error or (checked and (checked.errors or checked.problems)) else 200
    return render_template("reports/import.html", importer=importer, checked=checked, error=error,
                           payload=payload, filename=filename, options=options, courses=courses), status


def _detail(importer, counts: dict[str, int]) -> str:
    labels = dict(importer.statuses, enrolled=_("enrolled in the class"))
    return ", ".join(f"{labels.get(k, k)}: {v}" for k, v in counts.items() if v)
