"""The embedded broker (`filesystem://`), made safe for several writers.

kombu's filesystem transport creates a message file, then locks it and writes it. A
worker that lists the folder in between moves the still-empty file away, fails to parse
it and stops ("Unrecoverable error: JSONDecodeError"); `make run` then stops everything
(seen after two minutes of scripts/soak.py, with beat, web and worker all writing). Here a
message is written under a name the readers skip and renamed into place, so a reader only
ever sees whole files; and a file that still cannot be parsed (written by a plain kombu
client) is logged and skipped instead of killing the worker. Redis needs none of this.
"""

from __future__ import annotations

import logging
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps

log = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")  # not "<queue>.msg": readers skip it
        try:
            with open(partial, "wb") as f:
                f.write(dumps(payload).encode())
            os.replace(partial, final)  # atomic: the file appears whole
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        while True:
            try:
                return super()._get(queue)  # raises Empty when no file is left
            except ValueError as exc:  # the file was read (and removed) but is not a message
                log.warning("skipped an unreadable message file in queue %s: %s", queue, exc)


class Transport(filesystem.Transport):
    Channel = Channel
