"""A tiny SMTP server on 127.0.0.1 for email tests: counts connections, keeps messages."""

from __future__ import annotations

import socketserver
import threading


class SmtpServer:
    """`with SmtpServer(drop_after=2) as smtp:` then send to 127.0.0.1:smtp.port.

    `drop_after`: close the connection instead of accepting that many-th + 1 message, as a
    mail server that goes away mid-batch does.
    """

    def __init__(self, drop_after: int | None = None) -> None:
        self.connections = 0
        self.messages: list[bytes] = []
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                server.connections += 1
                self.reply("220 test ESMTP")
                while line := self.rfile.readline():
                    verb = line.decode().strip().split(" ")[0].upper()
                    if verb == "EHLO":
                        self.reply("250 test")
                    elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "DATA":
                        if drop_after is not None and len(server.messages) >= drop_after:
                            return  # gone, mid-conversation
                        self.reply("354 go ahead")
                        body = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            body += chunk
                        server.messages.append(body)
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def __enter__(self) -> SmtpServer:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
