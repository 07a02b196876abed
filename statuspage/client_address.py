"""The client's address, and the buckets the throttles count it and email addresses in.

Behind reverse proxies the connection comes from the last proxy, and `X-Forwarded-For`
lists the addresses each hop saw, the client's first. Every hop appends; nothing stops a
client from writing its own entries at the left. So only the entries the trusted proxies
wrote count: the address is the rightmost one that is not a trusted proxy.

TRUSTED_PROXIES is either a count (that many proxies in front, each appending one entry)
or a list of CIDRs (the proxies' own networks). Empty: no proxy, REMOTE_ADDR. The header
is X-Forwarded-For, or the one CLIENT_IP_HEADER names (with one proxy by default).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
FORWARDED_HEADER = "HTTP_X_FORWARDED_FOR"


def _address(text: str) -> IPAddress | None:
    try:
        ip = ipaddress.ip_address(text.strip().split("%")[0])
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped or ip


def _trusted():
    proxies = settings.TRUSTED_PROXIES
    if proxies in (None, 0, []) and settings.CLIENT_IP_HEADER:
        return 1  # a header named by hand was always set by the one proxy in front
    return proxies or 0


def client_ip(request) -> str:
    """The client's address as text: REMOTE_ADDR unless trusted proxies stand in front."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = _trusted()
    if not proxies:
        return remote
    header = settings.CLIENT_IP_HEADER or FORWARDED_HEADER
    chain = [entry.strip() for entry in request.META.get(header, "").split(",") if entry.strip()] + [remote]
    if isinstance(proxies, int):
        index = max(len(chain) - 1 - proxies, 0)
    else:
        index = 0
        for i in range(len(chain) - 1, -1, -1):
            ip = _address(chain[i])
            if ip is None or not any(ip in net for net in proxies):
                index = i
                break
    # A garbage entry is not an address: count the request under the proxy that wrote
    # it, or every new string would open a fresh throttle bucket.
    while index < len(chain) - 1 and _address(chain[index]) is None:
        index += 1
    ip = _address(chain[index])
    return str(ip) if ip is not None else remote


def address_bucket(address: str) -> str:
    """What a throttle counts for an address: an IPv6 client owns a whole /64."""
    ip = _address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip) if ip is not None else address


def mailbox(email: str) -> str:
    """What a throttle counts for an email address: the mailbox, case and `+tag` aside."""
    local, at, domain = email.strip().lower().rpartition("@")
    if not at:
        return email.strip().lower()
    return f"{local.split('+', 1)[0]}@{domain}"
