"""Send signed webhook requests and classify what came back.

Pure transport: the caller owns the database rows (one per attempt), the
`webhook-id` kept across retries and the decision to disable an endpoint.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import ssl
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from .ssrf import BlockedAddress, IPNetwork, make_client, request_deadline

# Enough to drain a typical reply so the connection stays reusable; more is dropped.
_MAX_REPLY_BYTES = 64 * 1024


@dataclass
class Attempt:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Outcome:
    status_code: int | None
    latency_ms: int
    error: str | None
    retry_after_s: float | None
    permanent: bool  # stop retrying and disable the endpoint

    @property
    def ok(self) -> bool:
        return self.error is None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT by definition
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def classify(response: httpx.Response, latency_ms: int) -> Outcome:
    """Turn a response into an Outcome, per the Standard Webhooks spec."""
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(code, latency_ms, None, None, False)
    retry_after = None
    if code in (429, 503):
        retry_after = parse_retry_after(response.headers.get("retry-after"))
    if code == 410:
        error = "HTTP 410 Gone: the endpoint asked to be disabled"
    elif 300 <= code < 400:
        location = response.headers.get("location", "")
        error = f"HTTP {code} redirect to {location!r} not followed: webhooks do not follow redirects"
    else:
        error = f"HTTP {code} {response.reason_phrase}".rstrip()
    return Outcome(code, latency_ms, error, retry_after, code == 410)


def failure(exc: Exception, latency_ms: int) -> Outcome:
    """An Outcome for a request that got no response."""
    if isinstance(exc, BlockedAddress):
        return Outcome(None, latency_ms, str(exc), None, True)
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return Outcome(None, latency_ms, f"invalid webhook URL: {exc}", None, True)
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return Outcome(None, latency_ms, f"timed out ({type(exc).__name__})", None, False)
    return Outcome(None, latency_ms, f"{type(exc).__name__}: {exc}".rstrip(": "), None, False)


def _ms(start: float) -> int:
    return round((time.perf_counter() - start) * 1000)


def deliver_one(client: httpx.Client, attempt: Attempt, deadline_s: float = 30.0) -> Outcome:
    """POST one attempt with a client from ssrf.make_client(); never raises for network trouble.

    `deadline_s` bounds the whole exchange (the guarded transport enforces it).
    """
    return _send(client, attempt.url, attempt, deadline_s)


def _send(client: httpx.Client, url: str | httpx.URL, attempt: Attempt, deadline_s: float) -> Outcome:
    start = time.perf_counter()
    try:
        with request_deadline(deadline_s), client.stream(
            "POST", url, content=attempt.body, headers=attempt.headers
        ) as r:
            read = 0
            for chunk in r.iter_raw():
                read += len(chunk)
                if read > _MAX_REPLY_BYTES:
                    break  # closing mid-body drops the connection, which is what we want
            return classify(r, _ms(start))
    except Exception as exc:  # noqa: BLE001 - every failure is an Outcome, never a crashed task
        return failure(exc, _ms(start))


async def deliver_one_async(
    client: httpx.AsyncClient, attempt: Attempt, deadline_s: float = 30.0
) -> Outcome:
    """The async twin of deliver_one (the fan-out itself uses threads, see below)."""
    start = time.perf_counter()
    try:
        async with asyncio.timeout(deadline_s), client.stream(
            "POST", attempt.url, content=attempt.body, headers=attempt.headers
        ) as r:
            read = 0
            async for chunk in r.aiter_raw():
                read += len(chunk)
                if read > _MAX_REPLY_BYTES:
                    break
            return classify(r, _ms(start))
    except Exception as exc:  # noqa: BLE001 - as in _send: every failure is an Outcome
        return failure(exc, _ms(start))


# --- fan-out ------------------------------------------------------------------
#
# Measured on loopback with bench/webhook_fanout.py and variants (2-core box):
# - one AsyncClient, 256 in flight over 200 hosts: ~70 deliveries/s, because
#   httpcore's pool rescans every connection for every request (encode/httpx#3215);
#   one AsyncClient per host still slowed threefold at 32 in flight per host;
# - an AsyncClient per lane, one connection each: ~1.0 ms CPU per delivery;
# - threads with sync clients, one connection each: 0.45-0.8 ms at 32-64 threads,
#   and 1.5-3x the async deliveries/s in every case tried (10 to 2,000 hosts,
#   0-100 ms receiver latency), as sockets and TLS release the GIL.
# So a lane is a thread-owned client with one keep-alive connection that posts one
# host's attempts in turn; up to `concurrency` threads run lanes, at most
# `per_host` lanes per host. A host that stops answering is skipped for the rest
# of the fan-out instead of costing a timeout per subscriber.
SKIP_HOST_AFTER = 3  # consecutive attempts without any response


@dataclass
class _Host:
    queue: deque[tuple[int, httpx.URL, Attempt]] = field(default_factory=deque)
    lanes: int = 0
    silent: int = 0  # consecutive attempts without a response (races are harmless)


def _plan(attempts: list[Attempt], concurrency: int, per_host: int
          ) -> tuple[list[Outcome | None], deque[_Host]]:
    """Group attempts by host and lay out lanes; invalid URLs fail here, permanently."""
    results: list[Outcome | None] = [None] * len(attempts)
    hosts: dict[str, _Host] = {}
    for i, attempt in enumerate(attempts):
        try:
            url = httpx.URL(attempt.url)  # parsed once, reused by the request
            if url.scheme not in ("http", "https") or not url.host:
                raise httpx.InvalidURL("not an http(s) URL with a host")
        except (httpx.InvalidURL, TypeError) as exc:
            results[i] = Outcome(None, 0, f"invalid webhook URL: {exc}", None, True)
            continue
        hosts.setdefault(f"{url.scheme}://{url.netloc.decode('ascii')}", _Host()).queue.append(
            (i, url, attempt))
    # A host gets lanes in proportion to its share of the work (capped by per_host),
    # so connections carry several requests instead of paying a handshake each;
    # lanes are interleaved across hosts, so a big host cannot starve small ones.
    queued = sum(len(h.queue) for h in hosts.values())
    for h in hosts.values():
        h.lanes = min(per_host, len(h.queue), math.ceil(concurrency * len(h.queue) / queued))
    lanes: deque[_Host] = deque()
    for round_ in range(per_host):
        more = [h for h in hosts.values() if h.lanes > round_]
        if not more:
            break
        lanes.extend(more)
    return results, lanes


def deliver_all(
    attempts: list[Attempt],
    allowed: Sequence[IPNetwork],
    concurrency: int = 256,
    per_host: int = 32,
    timeout: float = 15.0,
) -> list[Outcome]:
    """Deliver every attempt, at most `concurrency` at once and `per_host` per host.

    Outcomes come back in the order of `attempts`; nothing raises per attempt.
    """
    results, lanes = _plan(attempts, concurrency, per_host)
    tls = ssl.create_default_context()  # built once: loading CA certificates is slow
    one_connection = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    def run_lane(host: _Host) -> None:
        if not host.queue:
            return  # the host's other lanes already drained it
        with make_client(allowed, timeout, one_connection, verify=tls) as client:
            while True:
                try:
                    i, url, attempt = host.queue.popleft()
                except IndexError:
                    return
                if host.silent >= SKIP_HOST_AFTER:
                    results[i] = Outcome(None, 0, "skipped: the host gave no response to "
                                         f"{host.silent} attempts in a row", None, False)
                    continue
                outcome = _send(client, url, attempt, 2 * timeout)
                no_answer = outcome.status_code is None and not outcome.permanent
                host.silent = host.silent + 1 if no_answer else 0
                results[i] = outcome

    def worker() -> None:
        while True:
            try:
                host = lanes.popleft()  # deque operations are atomic across threads
            except IndexError:
                return
            run_lane(host)

    _run_threads(worker, min(concurrency, len(lanes)))
    done = [r for r in results if r is not None]
    assert len(done) == len(attempts), "a lane lost an attempt"
    return done


# Threads beyond what one core can feed only fight over the GIL (on loopback, 1.1 ms
# CPU per delivery at 256 threads against 0.45 ms at 64), yet slow receivers need
# many threads waiting. So threads start few and grow while the process has CPU
# to spare, which is when they mostly wait on the network.
_START_THREADS = 32
_GROW_BY = 32
_GROW_EVERY_S = 0.1
_SPARE_CPU = 0.75  # grow while the process used less than this share of one core


def _run_threads(worker: Callable[[], None], wanted: int) -> None:
    if wanted <= 0:
        return
    with ThreadPoolExecutor(wanted, thread_name_prefix="webhook-lane") as pool:
        futures = [pool.submit(worker) for _ in range(min(wanted, _START_THREADS))]
        cpu, wall = time.process_time(), time.monotonic()
        while len(futures) < wanted:
            if not wait(futures, timeout=_GROW_EVERY_S).not_done:
                break  # every lane is done
            used = (time.process_time() - cpu) / max(1e-3, time.monotonic() - wall)
            cpu, wall = time.process_time(), time.monotonic()
            if used < _SPARE_CPU:
                futures += [pool.submit(worker) for _ in range(min(_GROW_BY, wanted - len(futures)))]
        for future in futures:
            future.result()  # re-raise a worker's bug rather than lose its attempts


async def deliver_many(
    attempts: list[Attempt],
    allowed: Sequence[IPNetwork],
    concurrency: int = 256,
    per_host: int = 32,
    timeout: float = 15.0,
) -> list[Outcome]:
    """deliver_all() for async callers: the event loop stays free while threads send."""
    return await asyncio.to_thread(deliver_all, attempts, allowed, concurrency, per_host, timeout)


# --- retries --------------------------------------------------------------------
#
# Ceiling of the n-th retry delay: 5 s, 30 s, 3 min, 18 min, 1.8 h, then 6 h.
# Jitter is drawn from the upper half of the ceiling rather than [0, ceiling]:
# "full" jitter has a floor of zero, so no retry count could promise the 24 h the
# spec requires; half-to-full jitter still spreads a burst of failures.
RETRY_BASE_S = 5.0
RETRY_FACTOR = 6.0
RETRY_CAP_S = 6 * 3600.0
MAX_ATTEMPTS = 14  # the first delivery and 13 retries; see retry_schedule_covers_hours()


def _ceiling(attempt_number: int) -> float:
    return min(RETRY_CAP_S, RETRY_BASE_S * RETRY_FACTOR ** max(0, attempt_number - 1))


def next_retry_delay(
    attempt_number: int, retry_after_s: float | None = None, rng: random.Random | None = None
) -> float:
    """Seconds to wait after failed attempt `attempt_number` (1 = the first delivery)."""
    ceiling = _ceiling(attempt_number)
    delay = (rng or random).uniform(ceiling / 2, ceiling)
    if retry_after_s is not None:
        # Honour the receiver's wish, but a hostile "Retry-After: 1 year" only buys the cap.
        delay = max(delay, min(retry_after_s, RETRY_CAP_S))
    return delay


def should_give_up(attempt_number: int) -> bool:
    """True once attempt `attempt_number` failed and no retry is left."""
    return attempt_number >= MAX_ATTEMPTS


def retry_schedule_covers_hours() -> tuple[float, float]:
    """The shortest and longest time from the first delivery to the last retry, in hours."""
    ceilings = [_ceiling(n) for n in range(1, MAX_ATTEMPTS)]
    return sum(c / 2 for c in ceilings) / 3600, sum(ceilings) / 3600
