"""Client addresses can't be forged (issue 12, attack 5): the address is the rightmost
X-Forwarded-For entry the trusted proxies did not write, and the throttles count an IPv6
client per /64 and an email per mailbox, whatever its +tag."""

import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from statuspage.client_address import address_bucket, client_ip, mailbox
from statuspage.env import envproxies

LOGIN = "/admin/login/"


def trust(settings, proxies):
    settings.TRUSTED_PROXIES, settings.CLIENT_IP_HEADER = proxies, ""


def address(remote, forwarded=None, **meta):
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **meta))


@pytest.mark.django_db
def test_a_forged_leftmost_entry_does_not_open_metrics_from_outside(page, settings):
    # The attack of the issue: the header named, the proxy (nginx on this host) in front.
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"

    response = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1, 8.8.8.8").get("/metrics")

    assert response.status_code == 403


@pytest.mark.django_db
def test_forged_entries_do_not_reset_the_sign_in_throttle(oncall_user, settings):
    settings.TRUSTED_PROXIES = 1
    settings.LOGIN_FAILURES_PER_USER_IP = 3
    proxy = Client(REMOTE_ADDR="10.0.0.2")

    codes = [proxy.post(LOGIN, {"username": "alice", "password": "guess"},
                        HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.7").status_code for n in range(3)]
    last = proxy.post(LOGIN, {"username": "alice", "password": "pw-alice"},
                      HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.7")

    assert codes == [200, 200, 200] and last.status_code == 429


@pytest.mark.pure
def test_with_a_count_the_entry_left_of_the_proxies_is_the_client(settings):
    trust(settings, 2)

    assert address("10.0.0.1", "127.0.0.1, 203.0.113.5, 10.0.0.7") == "203.0.113.5"
    assert address("10.0.0.1", "203.0.113.5, 10.0.0.7") == "203.0.113.5"
    assert address("10.0.0.1", "10.0.0.7") == "10.0.0.7"  # fewer hops than proxies: the leftmost
    assert address("198.51.100.4") == "198.51.100.4"


@pytest.mark.pure
def test_with_networks_the_rightmost_untrusted_entry_is_the_client(settings):
    trust(settings, [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")])

    assert address("10.0.0.1", "127.0.0.1, 203.0.113.5, 10.0.0.7, fd00::3") == "203.0.113.5"
    assert address("203.0.113.9", "127.0.0.1") == "203.0.113.9"  # not from a proxy: its header is ignored
    assert address("10.0.0.1", "10.0.0.9, 10.0.0.7") == "10.0.0.9"


@pytest.mark.pure
def test_without_trusted_proxies_the_header_is_ignored(settings):
    trust(settings, 0)

    assert address("203.0.113.9", "127.0.0.1") == "203.0.113.9"


@pytest.mark.pure
def test_a_garbage_entry_is_counted_under_the_proxy_that_passed_it_on(settings):
    trust(settings, 1)

    assert address("10.0.0.1", "127.0.0.1, not-an-address") == "10.0.0.1"
    assert address("10.0.0.1", "::ffff:203.0.113.5") == "203.0.113.5"


@pytest.mark.pure
def test_throttles_count_an_ipv6_client_per_64_and_an_email_per_mailbox():
    assert address_bucket("2001:db8:1:2:aaaa::1") == address_bucket("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_bucket("2001:db8:1:3::1") != address_bucket("2001:db8:1:2::1")
    assert address_bucket("203.0.113.7") == "203.0.113.7"
    assert mailbox(" Olena+news@Example.org") == mailbox("olena+2@example.org") == "olena@example.org"


@pytest.mark.django_db
def test_one_ipv6_64_is_one_client_for_the_subscribe_limit(page):
    codes = [Client(REMOTE_ADDR=f"2001:db8:1:2::{n:x}").post("/subscribe/email", {"email": f"p{n}@example.org"})
             .status_code for n in range(1, 12)]

    assert codes == [200] * 10 + [429]


@pytest.mark.django_db
def test_plus_tags_do_not_multiply_the_confirmation_emails_to_one_mailbox(page):
    codes = [Client(REMOTE_ADDR=f"203.0.113.{n}").post("/subscribe/email", {"email": f"olena+{n}@example.org"})
             .status_code for n in range(5)]

    assert codes == [200, 200, 200, 429, 429]


@pytest.mark.pure
def test_trusted_proxies_must_be_a_count_or_networks(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert envproxies("TRUSTED_PROXIES") == 2
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8")
    assert len(envproxies("TRUSTED_PROXIES")) == 2
    monkeypatch.setenv("TRUSTED_PROXIES", "the load balancer")
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        envproxies("TRUSTED_PROXIES")
