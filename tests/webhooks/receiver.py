"""A webhook receiver on 127.0.0.1 (tests/loopback.py): records requests, replies as scripted."""

from __future__ import annotations

import ssl

from tests.loopback import Loopback, Reply, Request


class Receiver(Loopback):
    """`with Receiver(replies=[(500, {}), (200, {})]) as r:` then POST to r.url; each request
    gets the next scripted (status, headers), then 204s. `r.requests` holds what came."""

    def __init__(
        self, replies: list[tuple[int, dict[str, str]]] | None = None, tls: ssl.SSLContext | None = None
    ) -> None:
        self.replies = list(replies or [])
        super().__init__(self._next_reply, tls=tls)
        self.url = f"{self.base}/hook"

    def _next_reply(self, request: Request) -> Reply:
        status, headers = self.replies.pop(0) if self.replies else (204, {})
        return Reply(status, headers=headers)
