"""gunicorn settings read from the project directory (`gunicorn 'campaign:create_app()'` finds this file).

Private links carry their secret in the path; the access and error logs write every path, query and
Referer, so gunicorn's loggers mask those secrets (campaign.core.logs) from their first line.
"""

logger_class = "campaign.core.logs.GunicornLogger"
accesslog = "-"  # the access log on standard output, secrets masked
# The usual combined format; %(r)s (the request line) and %(f)s (the Referer) are masked.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)ss'
