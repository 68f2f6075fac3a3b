"""Background jobs: long work (exports, imports) with a progress bar, on rq or inline.

Other features use ``from campaign import jobs``: ``@jobs.task(kind)`` and ``jobs.start(kind, actor, ...)``
(see ``services``); the page of a job is ``url_for("jobs.show", job_id=job.id)``.
"""

from campaign.jobs.services import MAX_INPUT_BYTES, TaskRun, forget, start, task

__all__ = ["MAX_INPUT_BYTES", "TaskRun", "forget", "start", "task"]
