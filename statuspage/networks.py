"""IP networks as the settings write them: one parser for every `*_ALLOWED_NETWORKS` list.

Plain Python, no Django: statuspage/env.py (read by the settings) and the SSRF guard both
import it, and it imports neither.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str, name: str = "network list") -> list[IPNetwork]:
    """Parse a comma-separated CIDR list (`10.0.0.0/8, fd00::/8`; host bits allowed, empty
    items skipped); a bad item raises ValueError naming `name` (the setting) and the item."""
    networks = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{name}: {entry!r} is not a CIDR network") from None
    return networks
