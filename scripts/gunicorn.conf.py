# gunicorn settings for `make run` (and a sane start for production).
import os

workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
keepalive = 5
timeout = 30
graceful_timeout = 10
accesslog = "-"
max_requests = 0
