"""Fast loopback webhook receivers for the fan-out benchmark (asyncio, HTTP/1.1 keep-alive).

One process serves many ports so the benchmark's client keeps the other core.
Every request's Standard Webhooks signature is checked against the secret the
benchmark derives from the subscriber number in the path.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import multiprocessing.connection
import sys

from standardwebhooks import Webhook


def subscriber_secret(n: int) -> str:
    """Deterministic per-subscriber secrets, so receivers need no shared state."""
    return "whsec_" + base64.b64encode(hashlib.sha256(f"subscriber-{n}".encode()).digest()).decode()


class Stats:
    def __init__(self) -> None:
        self.ok = 0
        self.bad = 0


class _Receiver(asyncio.Protocol):
    def __init__(self, stats: Stats, delay: float) -> None:
        self.stats, self.delay, self.buf = stats, delay, b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while (end := self.buf.find(b"\r\n\r\n")) >= 0:
            head = self.buf[:end].decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
            length = int(headers.get("content-length", "0"))
            if len(self.buf) < end + 4 + length:
                return
            body, self.buf = self.buf[end + 4 : end + 4 + length], self.buf[end + 4 + length :]
            self._check(head[0].split(" ")[1], headers, body)
            if self.delay:
                asyncio.get_running_loop().call_later(self.delay, self._reply)
            else:
                self._reply()

    def _check(self, path: str, headers: dict[str, str], body: bytes) -> None:
        try:
            Webhook(subscriber_secret(int(path.rsplit("/", 1)[1]))).verify(body, headers, json_parse=False)
            self.stats.ok += 1
        except Exception:  # noqa: BLE001 - whatever the reason, a message that fails to verify is counted bad
            self.stats.bad += 1

    def _reply(self) -> None:
        if not self.transport.is_closing():
            self.transport.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")


async def _serve(ports: list[int], delay: float, conn: multiprocessing.connection.Connection) -> None:
    loop = asyncio.get_running_loop()
    stats = Stats()
    servers = [
        await loop.create_server(lambda: _Receiver(stats, delay), "127.0.0.1", p, backlog=1024)
        for p in ports
    ]
    conn.send([s.sockets[0].getsockname()[1] for s in servers])
    while True:  # answer "stats" requests until told to stop
        msg = await loop.run_in_executor(None, conn.recv)
        if msg == "stop":
            break
        conn.send((stats.ok, stats.bad))
    conn.send((stats.ok, stats.bad))


def serve(count: int, delay: float, conn: multiprocessing.connection.Connection) -> None:
    """Process entry point: listen on `count` free ports, report them, then serve."""
    asyncio.run(_serve([0] * count, delay, conn))


if __name__ == "__main__":
    sys.exit("imported by bench/webhook_fanout.py")
