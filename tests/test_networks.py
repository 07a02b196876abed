"""The one parser of `*_ALLOWED_NETWORKS` lists (statuspage/networks.py)."""

import pytest

from statuspage.networks import parse_networks

pytestmark = pytest.mark.pure


def test_it_parses_a_comma_separated_list_skipping_blanks_and_host_bits():
    assert [str(n) for n in parse_networks(" 10.0.0.0/8,, fd00::/8 ")] == ["10.0.0.0/8", "fd00::/8"]
    assert [str(n) for n in parse_networks("192.168.1.7/24")] == ["192.168.1.0/24"]
    assert parse_networks("") == []


def test_a_bad_network_is_named_in_the_error_with_its_setting():
    with pytest.raises(ValueError, match=r"^WEBHOOK_ALLOWED_NETWORKS: '10.0.0.300/8' is not a CIDR network$"):
        parse_networks("10.0.0.0/8,10.0.0.300/8", "WEBHOOK_ALLOWED_NETWORKS")
