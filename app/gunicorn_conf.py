"""gunicorn settings for the web process (`Procfile`: web).

Threads suit a webhook app that waits on Redis and SQL for most of each request.
"""

import os

# Every interface, on the platform's PORT (the Procfile's web process). `wardlink serve` passes
# --bind 127.0.0.1:PORT (its --host), which wins over this.
bind = "0.0.0.0:" + os.environ.get("PORT", "8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
# The provider gives up after ~10 s; a request still running at 15 s is a bug.
timeout = 15
graceful_timeout = 10
keepalive = 5
# %(U)s is the path without the query string: the webhook token must not reach the access log.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
