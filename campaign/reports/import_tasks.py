"""Imports of large files as background jobs (``campaign.jobs``): checking, then importing, with progress.

``reports.import_check`` checks every row of the uploaded file (nothing written) and keeps the summary
(counts, every bad row's line and reason) as the job's result; ``reports.import_apply`` checks the same
file again and writes every row or none (the job framework commits once when the task returns, and rolls
everything back if it raises).
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaign import jobs
from campaign.core.services import DomainError
from campaign.reports.importers import IMPORTERS

CHECK = "reports.import_check"
APPLY = "reports.import_apply"
JOB_ROWS = 500  # files with more data rows than this are checked and imported as jobs


def _importer(job):
    importer = IMPORTERS.get(job.params.get("importer"))
    if importer is None or job.actor is None:
        raise DomainError(_("This import cannot be run."))
    return importer


@jobs.task(CHECK, label=_l("Checking the file to import"))
def check_file(job, progress) -> None:
    importer = _importer(job)
    checked = importer.check(job.actor, job.input_filename, job.input or b"", job.params.get("options") or {},
                             progress)
    job.result = checked.summary()


@jobs.task(APPLY, label=_l("Importing the file"))
def import_file(job, progress) -> None:
    importer = _importer(job)
    options = job.params.get("options") or {}
    checked = importer.check(job.actor, job.input_filename, job.input or b"", options)
    if not checked.ok:
        job.result = checked.summary()
        raise DomainError(_("The file has errors: nothing was imported."))
    counts = importer.apply(job.actor, checked, options, progress)
    job.result = {**checked.summary(), "imported": counts}
