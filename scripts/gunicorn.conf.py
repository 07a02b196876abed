# gunicorn settings for `make run` (and a sane start for production).
import os

workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
# A thread waits for a slow client's body: enough of them that slow clients cannot starve readers.
threads = int(os.environ.get("WEB_THREADS", "64"))
keepalive = 5
timeout = 30
graceful_timeout = 10
# An access line per request costs a flash crowd CPU: WEB_ACCESS_LOG=1 turns it on.
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG") == "1" else None
max_requests = 0
# Bound what a client may send before the app runs (bodies: statuspage.request_limits).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
