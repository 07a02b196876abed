"""The status page's cost does not grow with raw probe results.

Renders the page (the view itself, no cache) with 1 million and then 10 million raw
ProbeRun rows in the database and prints the render time and query count of each, and
their ratio. Uses a scratch SQLite database under a temp dir, or BENCH_DATABASE_URL
(PostgreSQL) when given. Bounded: two bulk inserts and a handful of renders.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import demo_target  # noqa: E402  (the demo's probe variables)

VAR = Path(tempfile.mkdtemp(prefix="bench-history-"))
os.environ["STATUSPAGE_VAR_DIR"] = str(VAR)
os.environ.pop("REDIS_URL", None)
if os.environ.get("BENCH_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
else:
    os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
os.environ.setdefault("PROBE_ENV_ALLOW", demo_target.PROBE_ENV)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from probes.models import Probe  # noqa: E402
from statuspage.views.public import status_page  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_HISTORY_SIZES", "1000000,10000000").split(",")]


def insert_runs(total: int, already: int, probe_ids: list[int]) -> None:
    """Raw SQL in big chunks: the fastest portable way to get millions of rows in."""
    table = Probe.runs.field.model._meta.db_table
    chunk = 50_000
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Indexes are rebuilt once after the load: maintaining them row by row is
            # what makes a 10-million-row insert slow, and it is not what we measure.
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                           "AND indexname NOT LIKE %s", [table, "%pkey"])
            indexes = cursor.fetchall()
            cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'",
                           [table])
            for (name,) in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
            cursor.execute(
                f"INSERT INTO {table} (probe_id, region, scheduled_for, started_at, duration_ms, ok, slow, "
                f"failure_class, attempt, step, message, detail) "
                f"SELECT %s, 'default', now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval, "
                f"40 + g %% 200, g %% 97 <> 0, false, '', 'bench', '', '', '{{}}' "
                f"FROM generate_series(%s, %s) g", [probe_ids[0], already + 1, total])
            for _, definition in indexes:
                cursor.execute(definition)
            cursor.execute(f"ANALYZE {table}")
            return
        cursor.execute("PRAGMA synchronous=OFF")
        for start in range(already, total, chunk):
            rows = [(probe_ids[n % len(probe_ids)], "default", f"2026-01-01 00:00:{n % 60:02d}.{n:09d}",
                     "2026-01-01 00:00:00", 40 + n % 200, n % 97 != 0, False, "", "bench", "", "", "{}")
                    for n in range(start, min(total, start + chunk))]
            cursor.executemany(
                f"INSERT INTO {table} (probe_id, region, scheduled_for, started_at, duration_ms, ok, slow, "
                f"failure_class, attempt, step, message, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)


def measure() -> tuple[float, int]:
    request = RequestFactory().get("/")
    status_page(request)  # warm
    times = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            status_page(request)
            times.append(time.perf_counter() - start)
    return min(times) * 1000, len(queries)


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("apply_config", str(ROOT / "examples/reserve-plus.yaml"), verbosity=0)
    probe_ids = list(Probe.objects.values_list("pk", flat=True))
    print(f"database: {connection.vendor}")
    results = []
    done = 0
    for size in SIZES:
        start = time.perf_counter()
        insert_runs(size, done, probe_ids)
        done = size
        ms, queries = measure()
        results.append((size, ms, queries))
        print(f"{size:>11,} raw results (inserted in {time.perf_counter() - start:5.1f}s): "
              f"page render {ms:6.2f} ms, {queries} queries")
    (small, ms1, q1), (big, ms2, q2) = results[0], results[-1]
    print(f"render time ratio {big:,} / {small:,} results: {ms2 / ms1:.2f}x; queries {q1} → {q2}")


if __name__ == "__main__":
    main()
