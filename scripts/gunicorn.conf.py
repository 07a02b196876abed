# gunicorn settings for `make run` (and a sane start for production).
import os

workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
keepalive = 5
timeout = 30
graceful_timeout = 10
# An access line per request costs a flash crowd CPU: WEB_ACCESS_LOG=1 turns it on.
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG") == "1" else None
max_requests = 0
