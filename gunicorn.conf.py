"""gunicorn settings read from the project directory (`gunicorn 'campaign:create_app()'` finds this file).

Private links carry their secret in the path; the access and error logs write every path, query and
Referer, so gunicorn's loggers mask those secrets (campaign.core.logs) from their first line.

gunicorn reads ./gunicorn.conf.py from the directory it is started in, whatever app it serves: a
gunicorn of another environment started here (the benchmark's ceiling app, ../shared/bench) cannot
import this project, and gets none of these settings instead of failing before its first log line.
"""

try:
    import campaign.core.logs  # noqa: F401 - importable: this project's own environment
except ImportError:
    pass
else:
    logger_class = "campaign.core.logs.GunicornLogger"
    accesslog = "-"  # the access log on standard output, secrets masked
    # The usual combined format; %(r)s (the request line) and %(f)s (the Referer) are masked.
    access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)ss'

    def post_worker_init(worker):
        """A new worker does its first-request work (a database connection, the translations, the
        check-in keys: campaign.core.warmup) before it accepts requests."""
        from campaign.core.warmup import warm

        if hasattr(worker.wsgi, "app_context"):  # a Flask app (this project's)
            warm(worker.wsgi)
