"""Refuse webhook targets inside private, loopback, link-local or metadata ranges.

The guard sits in the connection layer, not only in form validation: a name that
resolved to a public address when the subscriber registered may resolve to
127.0.0.1 when we deliver (DNS rebinding). So every new connection resolves the
host once, checks every address, and connects to an address it checked.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from contextlib import contextmanager

import anyio
import httpcore
import httpx

from statuspage.networks import IPAddress, IPNetwork

Resolver = Callable[[str, int], list[IPAddress]]

SETTING = "WEBHOOK_ALLOWED_NETWORKS"
_CGNAT = ipaddress.ip_network("100.64.0.0/10")  # not "private" to ipaddress, still not reachable
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class BlockedAddress(ValueError):
    """The target resolves to an address webhooks may not reach."""

    def __init__(self, message: str, address: IPAddress | None = None) -> None:
        super().__init__(message)
        self.address = address


def _embedded_ipv4(ip: IPAddress) -> tuple[ipaddress.IPv4Address | None, bool]:
    """The IPv4 address an IPv6 address carries, and whether it is a pure translation.

    Mapped and NAT64 addresses *are* their IPv4 address; 6to4 and Teredo addresses
    are tunnels, so both ends must pass.
    """
    if not isinstance(ip, ipaddress.IPv6Address):
        return None, False
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, True
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), True
    if ip.sixtofour is not None:
        return ip.sixtofour, False
    if ip.teredo is not None:
        return ip.teredo[1], False
    return None, False


def _reason(ip: IPAddress) -> str | None:
    """Why `ip` is not a public unicast address, or None if it is one."""
    if ip.is_loopback:
        return "a loopback address"
    if ip in _METADATA:
        return "the cloud metadata address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if ip in _CGNAT:
        return "a carrier-grade NAT address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a reserved address"
    return None


def _is_allowed(ip: IPAddress, allowed: Iterable[IPNetwork]) -> bool:
    inner, _ = _embedded_ipv4(ip)
    return any(ip in net or (inner is not None and inner in net) for net in allowed)


def check_address(ip: IPAddress | str, allowed: Sequence[IPNetwork] = (), setting: str = SETTING) -> None:
    """Raise BlockedAddress unless `ip` is globally routable or explicitly allowed (by `setting`)."""
    ip = ipaddress.ip_address(ip)
    if _is_allowed(ip, allowed):
        return
    inner, translation = _embedded_ipv4(ip)
    reason = None
    if inner is not None and (reason := _reason(inner)) is not None:
        reason = f"{reason} (IPv4 {inner} embedded)"
    if reason is None and not translation:
        reason = _reason(ip)
    if reason is not None:
        raise BlockedAddress(f"{ip} is {reason}; allow it with {setting}", ip)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, in the resolver's order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[IPAddress, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        # Strip an IPv6 zone ("fe80::1%eth0") before parsing.
        seen.setdefault(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]), None)
    return list(seen)


# Lookups that outlive their budget keep running here, never more than this many at once:
# a name server that never answers fills the slots, and later lookups time out at once.
_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="resolve")


def resolve_within(seconds: float) -> Resolver:
    """A resolver that gives up after `seconds`: a slow name server cannot hold a request."""

    def resolver(host: str, port: int) -> list[IPAddress]:
        try:
            return _LOOKUPS.submit(resolve, host, port).result(timeout=seconds)
        except FuturesTimeout:
            raise OSError(f"resolving {host} took longer than {seconds} s") from None

    return resolver


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def resolve_checked(
    host: str, port: int, allowed: Sequence[IPNetwork], resolver: Resolver = resolve,
    setting: str = SETTING, subject: str = "webhook URL",
) -> list[IPAddress]:
    """Resolve once and check every address: one bad address refuses the host."""
    literal = _literal(host)
    addresses = [literal] if literal is not None else resolver(host, port)
    if not addresses:
        raise OSError(f"{host} resolves to no address")
    for ip in addresses:
        try:
            check_address(ip, allowed, setting)
        except BlockedAddress as exc:
            where = "points to" if literal is not None else f"host {host} resolves to"
            detail = str(exc).split(" is ", 1)[1]
            raise BlockedAddress(f"{subject} {where} {ip}, {detail}", ip) from None
    return addresses


def check_url(url: str, allowed: Sequence[IPNetwork] = (), resolver: Resolver = resolve) -> None:
    """Validate a subscriber URL; the message reads as an API field error."""
    try:
        parsed = httpx.URL(url)  # the parser the client will use, so no parser differential
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(f"webhook URL is not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise ValueError("webhook URL must start with http:// or https://")
    if not parsed.host:
        raise ValueError("webhook URL has no host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if not 0 < port < 65536:
        raise ValueError(f"webhook URL has an invalid port {port}")
    try:
        resolve_checked(parsed.host, port, allowed, resolver)
    except (OSError, UnicodeError):
        raise ValueError(f"webhook URL host {parsed.host} does not resolve") from None


# --- the connection layer -------------------------------------------------------
#
# Pinning happens in httpcore's network backend, at connect time: the pool keeps
# keying connections by host name, so TLS SNI, certificate checks and keep-alive
# reuse stay per host even when several hosts share an IP (CDNs). Rewriting the
# URL to the IP instead would pool by IP and reuse one host's TLS connection for
# another host.


def _connect_error(exc: BlockedAddress | OSError, host: str) -> Exception:
    return exc if isinstance(exc, BlockedAddress) else httpcore.ConnectError(f"{host}: {exc}")


# httpx times each socket operation, not a whole request, so a receiver that
# trickles a byte every few seconds could hold a sync request for hours. A
# per-thread deadline caps every operation's timeout by the time left.
_deadline = threading.local()


@contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Bound every socket operation this thread does inside the block by `seconds` in all."""
    outer = getattr(_deadline, "at", None)
    _deadline.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _deadline.at = outer


def _capped(timeout: float | None, error: type[Exception]) -> float | None:
    at: float | None = getattr(_deadline, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the request ran past its deadline")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _capped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _capped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _capped(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    def __init__(
        self, inner: httpcore.NetworkBackend, allowed: Sequence[IPNetwork], resolver: Resolver,
        setting: str = SETTING, subject: str = "webhook URL",
    ) -> None:
        self._inner, self._allowed, self._resolver = inner, tuple(allowed), resolver
        self._setting, self._subject = setting, subject

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve_checked(host, port, self._allowed, self._resolver, self._setting, self._subject)
        except (BlockedAddress, OSError) as exc:
            raise _connect_error(exc, host) from None
        for i, ip in enumerate(addresses):  # fall back over checked addresses only
            try:
                limit = _capped(timeout, httpcore.ConnectTimeout)
                stream = self._inner.connect_tcp(str(ip), port, limit, local_address, socket_options)
                return _DeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                if i == len(addresses) - 1:
                    raise
        raise AssertionError("unreachable")

    def connect_unix_socket(self, *args: typing.Any, **kwargs: typing.Any) -> httpcore.NetworkStream:
        raise BlockedAddress(f"a {self._subject} does not connect to unix sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(
        self, inner: httpcore.AsyncNetworkBackend, allowed: Sequence[IPNetwork], resolver: Resolver
    ) -> None:
        self._inner, self._allowed, self._resolver = inner, tuple(allowed), resolver

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[IPAddress]:
        if _literal(host) is not None:  # no thread hop for IP literals
            return resolve_checked(host, port, self._allowed, self._resolver)
        with anyio.fail_after(timeout):
            return await anyio.to_thread.run_sync(
                resolve_checked, host, port, self._allowed, self._resolver, abandon_on_cancel=True
            )

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._resolve(host, port, timeout)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except (BlockedAddress, OSError) as exc:
            raise _connect_error(exc, host) from None
        for i, ip in enumerate(addresses):
            try:
                return await self._inner.connect_tcp(
                    str(ip), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                if i == len(addresses) - 1:
                    raise
        raise AssertionError("unreachable")

    async def connect_unix_socket(
        self, *args: typing.Any, **kwargs: typing.Any
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("webhooks do not connect to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _install(pool: object, wrap: Callable[[typing.Any], object]) -> None:
    # httpx builds the httpcore pool itself and offers no hook for its network
    # backend; fail loudly if a new httpcore renames the attribute.
    if not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpcore changed: cannot install the SSRF guard")
    pool._network_backend = wrap(pool._network_backend)


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport that only connects to checked addresses, never via a proxy.

    `setting` and `subject` name, in its errors, the list that allows more and what was
    refused (webhooks' defaults; probes pass PROBE_ALLOWED_NETWORKS and "probe URL")."""

    def __init__(
        self, allowed: Sequence[IPNetwork] = (), resolver: Resolver = resolve, *, setting: str = SETTING,
        subject: str = "webhook URL", **kwargs: typing.Any
    ) -> None:
        if kwargs.get("proxy") or kwargs.get("uds"):
            raise ValueError("the guarded transport connects directly, without proxy or socket")
        super().__init__(trust_env=False, **kwargs)
        _install(self._pool, lambda inner: _GuardedBackend(inner, allowed, resolver, setting, subject))


class AsyncGuardedTransport(httpx.AsyncHTTPTransport):
    """The asyncio twin of GuardedTransport."""

    def __init__(
        self, allowed: Sequence[IPNetwork] = (), resolver: Resolver = resolve, **kwargs: typing.Any
    ) -> None:
        if kwargs.get("proxy") or kwargs.get("uds"):
            raise ValueError("the guarded transport connects directly, without proxy or socket")
        super().__init__(trust_env=False, **kwargs)
        _install(self._pool, lambda inner: _AsyncGuardedBackend(inner, allowed, resolver))


USER_AGENT = "statuspage-webhooks/1"


def make_client(
    allowed: Sequence[IPNetwork] = (),
    timeout: float = 15.0,
    limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),
    **transport_kwargs: typing.Any,
) -> httpx.Client:
    """The only way the webhook layer builds a sync client: guarded, no redirects, no env.

    Extra kwargs (e.g. a shared ssl context as `verify`) go to the transport.
    """
    return httpx.Client(
        transport=GuardedTransport(allowed, limits=limits, **transport_kwargs),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": USER_AGENT},
    )


def make_async_client(
    allowed: Sequence[IPNetwork] = (),
    timeout: float = 15.0,
    limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),
    **transport_kwargs: typing.Any,
) -> httpx.AsyncClient:
    """The async twin of make_client."""
    return httpx.AsyncClient(
        transport=AsyncGuardedTransport(allowed, limits=limits, **transport_kwargs),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": USER_AGENT},
    )
