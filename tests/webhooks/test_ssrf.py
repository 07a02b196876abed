import asyncio
import shutil
import ssl
import subprocess
from ipaddress import ip_address

import httpx
import pytest

from statuspage.networks import parse_networks
from statuspage.webhooks.delivery import Attempt, deliver_many, deliver_one, deliver_one_async
from statuspage.webhooks.ssrf import (
    AsyncGuardedTransport,
    BlockedAddress,
    GuardedTransport,
    check_address,
    check_url,
    make_client,
)

from .receiver import Receiver

pytestmark = pytest.mark.once

LOOPBACK = parse_networks("127.0.0.0/8, ::1/128")


@pytest.mark.parametrize("address, reason", [
    ("169.254.169.254", "metadata"),
    ("10.0.0.1", "private"),
    ("192.168.1.10", "private"),
    ("127.0.0.1", "loopback"),
    ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),
    ("fe80::1", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
])
def test_it_refuses_addresses_that_are_not_public(address, reason):
    with pytest.raises(BlockedAddress, match=reason):
        check_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_it_accepts_public_addresses(address):
    check_address(address)


def test_an_allowed_network_lets_its_addresses_through():
    check_address("10.0.0.1", parse_networks("10.0.0.0/8"))
    check_address("169.254.169.254", parse_networks("169.254.0.0/16"))


def test_an_ipv4_mapped_address_is_allowed_by_its_ipv4_network():
    check_address("::ffff:127.0.0.1", parse_networks("127.0.0.0/8"))


def test_the_url_check_names_the_address_and_the_setting():
    with pytest.raises(BlockedAddress) as caught:
        check_url("http://localhost:8000/hook")
    assert "webhook URL host localhost resolves to" in str(caught.value)
    assert "a loopback address; allow it with WEBHOOK_ALLOWED_NETWORKS" in str(caught.value)


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://localhost/hook",
])
def test_urls_to_internal_targets_are_refused_unless_allowed(url):
    with pytest.raises(BlockedAddress):
        check_url(url)
    check_url(url, parse_networks("127.0.0.0/8, ::1/128, 10.0.0.0/8, 169.254.0.0/16"))


@pytest.mark.parametrize("url, message", [
    ("ftp://example.com/hook", "http:// or https://"),
    ("http:///hook", "no host"),
    ("not a url", "http:// or https://"),
    ("http://example.com:99999/hook", "invalid port"),
])
def test_malformed_urls_are_refused(url, message):
    with pytest.raises(ValueError, match=message):
        check_url(url)


def test_every_resolved_address_is_checked_not_just_the_first():
    def resolver(host, port):
        return [ip_address("8.8.8.8"), ip_address("10.0.0.1")]

    with pytest.raises(BlockedAddress, match="10.0.0.1"):
        check_url("https://hooks.example.test/", resolver=resolver)


def test_the_client_refuses_to_connect_to_a_loopback_receiver_by_default():
    with Receiver() as receiver, make_client() as client:
        outcome = deliver_one(client, Attempt(receiver.url, {}, b"{}"))
    assert outcome.permanent and outcome.status_code is None
    assert "loopback" in outcome.error
    assert receiver.requests == []


def test_the_client_reaches_a_loopback_receiver_when_loopback_is_allowed():
    with Receiver() as receiver, make_client(LOOPBACK) as client:
        outcome = deliver_one(client, Attempt(receiver.url, {}, b"{}"))
    assert outcome.ok and outcome.status_code == 204
    assert len(receiver.requests) == 1


def test_the_transport_connects_to_the_checked_address_and_keeps_the_host_header():
    resolved = []

    def resolver(host, port):
        resolved.append(host)
        return [ip_address("127.0.0.1")]

    transport = GuardedTransport(LOOPBACK, resolver=resolver)
    with Receiver() as receiver, httpx.Client(transport=transport, follow_redirects=False) as client:
        url = f"http://hooks.example.test:{receiver.port}/hook"
        assert deliver_one(client, Attempt(url, {}, b"{}")).ok
        assert deliver_one(client, Attempt(url, {}, b"{}")).ok
    assert [r.headers["host"] for r in receiver.requests] == [f"hooks.example.test:{receiver.port}"] * 2
    assert resolved == ["hooks.example.test"]  # once per connection, reused while kept alive


def test_the_transport_refuses_a_name_that_resolves_to_a_blocked_address():
    transport = GuardedTransport(LOOPBACK, resolver=lambda host, port: [ip_address("10.0.0.1")])
    with httpx.Client(transport=transport) as client:
        outcome = deliver_one(client, Attempt("http://rebound.example.test/hook", {}, b"{}"))
    assert outcome.permanent
    assert "10.0.0.1, a private address" in outcome.error


def test_the_transport_refuses_proxies():
    with pytest.raises(ValueError, match="proxy"):
        GuardedTransport(proxy="http://proxy.example.test:3128")


def test_two_names_on_one_address_get_their_own_connections():
    # Pooling by name keeps TLS SNI and certificate checks per host behind shared CDN IPs.
    resolved = []

    def resolver(host, port):
        resolved.append(host)
        return [ip_address("127.0.0.1")]

    transport = GuardedTransport(LOOPBACK, resolver=resolver)
    with Receiver() as receiver, httpx.Client(transport=transport) as client:
        for name in ("a.example.test", "b.example.test", "a.example.test"):
            assert deliver_one(client, Attempt(f"http://{name}:{receiver.port}/", {}, b"{}")).ok
    assert resolved == ["a.example.test", "b.example.test"]
    assert [r.headers["host"].split(":")[0] for r in receiver.requests] == [
        "a.example.test", "b.example.test", "a.example.test"]


def test_the_async_transport_also_pins_the_checked_address():
    transport = AsyncGuardedTransport(LOOPBACK, resolver=lambda host, port: [ip_address("127.0.0.1")])

    async def send(url):
        async with httpx.AsyncClient(transport=transport) as client:
            return await deliver_one_async(client, Attempt(url, {}, b"{}"))

    with Receiver() as receiver:
        assert asyncio.run(send(f"http://hooks.example.test:{receiver.port}/hook")).ok
    assert receiver.requests[0].headers["host"] == f"hooks.example.test:{receiver.port}"


def test_the_async_transport_refuses_a_name_that_resolves_to_a_blocked_address():
    transport = AsyncGuardedTransport(LOOPBACK, resolver=lambda host, port: [ip_address("169.254.169.254")])

    async def send():
        async with httpx.AsyncClient(transport=transport) as client:
            return await deliver_one_async(client, Attempt("http://rebound.example.test/", {}, b"{}"))

    outcome = asyncio.run(send())
    assert outcome.permanent and "metadata" in outcome.error


def test_deliver_many_resolves_localhost_and_checks_it():
    with Receiver() as receiver:
        url = f"http://localhost:{receiver.port}/hook"
        refused = asyncio.run(deliver_many([Attempt(url, {}, b"{}")], allowed=[]))
        accepted = asyncio.run(deliver_many([Attempt(url, {}, b"{}")], allowed=LOOPBACK))
    assert refused[0].permanent and "localhost resolves to" in refused[0].error
    assert accepted[0].ok
    assert len(receiver.requests) == 1


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for hooks.example.test (made with the openssl tool)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=hooks.example.test",
         "-addext", "subjectAltName=DNS:hooks.example.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))


def test_https_to_a_pinned_address_sends_the_host_name_as_sni_and_checks_the_certificate(certificate):
    server_tls, client_tls = certificate
    transport = GuardedTransport(LOOPBACK, resolver=lambda h, p: [ip_address("127.0.0.1")], verify=client_tls)
    with Receiver(tls=server_tls) as receiver, httpx.Client(transport=transport) as client:
        outcome = deliver_one(client, Attempt(f"https://hooks.example.test:{receiver.port}/", {}, b"{}"))
    assert outcome.ok
    assert receiver.server_names == ["hooks.example.test"]


def test_https_to_a_name_the_certificate_does_not_cover_fails(certificate):
    server_tls, client_tls = certificate
    transport = GuardedTransport(LOOPBACK, resolver=lambda h, p: [ip_address("127.0.0.1")], verify=client_tls)
    with Receiver(tls=server_tls) as receiver, httpx.Client(transport=transport) as client:
        outcome = deliver_one(client, Attempt(f"https://other.example.test:{receiver.port}/", {}, b"{}"))
    assert not outcome.ok and "CERTIFICATE_VERIFY_FAILED" in outcome.error
    assert receiver.requests == []
