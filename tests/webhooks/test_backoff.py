import random

import pytest

from statuspage.webhooks.delivery import (
    MAX_ATTEMPTS,
    RETRY_CAP_S,
    next_retry_delay,
    retry_schedule_covers_hours,
    should_give_up,
)

pytestmark = pytest.mark.once


def test_retries_span_at_least_24_hours_even_with_the_shortest_jitter():
    shortest, longest = retry_schedule_covers_hours()
    assert shortest >= 24
    assert longest < 72  # an event gives up before its owner is told of 3 days of failures


def test_the_first_retry_comes_within_seconds_and_later_ones_grow():
    rng = random.Random(1)
    assert 2.5 <= next_retry_delay(1, rng=rng) <= 5
    ceilings = [max(next_retry_delay(n, rng=random.Random(s)) for s in range(50)) for n in range(1, 8)]
    assert ceilings == sorted(ceilings)


def test_no_delay_exceeds_the_cap():
    rng = random.Random(2)
    assert all(next_retry_delay(n, rng=rng) <= RETRY_CAP_S for n in range(1, 40))


def test_a_retry_after_header_postpones_the_retry():
    assert next_retry_delay(1, retry_after_s=600) == 600


def test_a_hostile_retry_after_only_buys_the_cap():
    assert next_retry_delay(1, retry_after_s=365 * 86400) == RETRY_CAP_S


def test_it_gives_up_after_the_last_attempt():
    assert not should_give_up(MAX_ATTEMPTS - 1)
    assert should_give_up(MAX_ATTEMPTS)
