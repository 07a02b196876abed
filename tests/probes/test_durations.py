import pytest

from probes.durations import parse_duration_ms

pytestmark = pytest.mark.once


@pytest.mark.parametrize(
    ("written", "ms"),
    [("250ms", 250), ("2s", 2000), ("1.5s", 1500), ("5m", 300_000), (750, 750), ("0.5m", 30_000), (" 3s ", 3000),
     ("40", 40)],
)
def test_it_reads_durations_in_ms_s_and_m(written, ms):
    assert parse_duration_ms(written) == ms


@pytest.mark.parametrize("written", ["2h", "fast", "", "-1s", -5, True, None, 1.5, [1], "1e3s", "s", "2 secs"])
def test_it_refuses_what_is_not_a_duration_with_a_clear_message(written):
    with pytest.raises(ValueError, match="duration"):
        parse_duration_ms(written)
