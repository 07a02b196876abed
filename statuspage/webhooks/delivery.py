"""Send signed webhook requests and classify what came back.

Pure transport: the caller owns the database rows (one per attempt), the
`webhook-id` kept across retries and the decision to disable an endpoint.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

from .ssrf import BlockedAddress

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
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


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
    if isinstance(exc, httpx.TimeoutException):
        return Outcome(None, latency_ms, f"timed out ({type(exc).__name__})", None, False)
    return Outcome(None, latency_ms, f"{type(exc).__name__}: {exc}".rstrip(": "), None, False)


def _ms(start: float) -> int:
    return round((time.perf_counter() - start) * 1000)


def deliver_one(client: httpx.Client, attempt: Attempt) -> Outcome:
    """POST one attempt with a client from ssrf.make_client(); never raises for network trouble."""
    start = time.perf_counter()
    try:
        with client.stream("POST", attempt.url, content=attempt.body, headers=attempt.headers) as r:
            read = 0
            for chunk in r.iter_raw():
                read += len(chunk)
                if read > _MAX_REPLY_BYTES:
                    break  # closing mid-body drops the connection, which is what we want
            return classify(r, _ms(start))
    except Exception as exc:  # every failure is an Outcome, never a crashed task
        return failure(exc, _ms(start))


async def deliver_one_async(client: httpx.AsyncClient, attempt: Attempt) -> Outcome:
    """The async twin of deliver_one."""
    start = time.perf_counter()
    try:
        async with client.stream(
            "POST", attempt.url, content=attempt.body, headers=attempt.headers
        ) as r:
            read = 0
            async for chunk in r.aiter_raw():
                read += len(chunk)
                if read > _MAX_REPLY_BYTES:
                    break
            return classify(r, _ms(start))
    except Exception as exc:
        return failure(exc, _ms(start))


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
