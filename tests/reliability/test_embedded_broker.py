"""The embedded broker survives a reader racing a writer (statuspage.broker).

With kombu's own filesystem transport a worker that lists the queue folder while a
message file is created but not yet written reads an empty file and stops for good;
scripts/soak.py hit it after two minutes of `make run` under load.
"""

import json
from pathlib import Path

import pytest
from kombu import Connection
from kombu.transport import filesystem

from statuspage import broker

pytestmark = pytest.mark.once


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "q").mkdir()
    return tmp_path / "q"


def channel(folder: Path, transport=broker.Transport):
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "control_folder": str(folder)}
    return Connection("filesystem://", transport=transport, transport_options=options).channel()


def test_the_stock_transport_dies_on_a_message_file_being_written(folder):
    (folder / "1_x.celery.msg").write_bytes(b"")  # created, not yet written

    with pytest.raises(json.JSONDecodeError):
        channel(folder, filesystem.Transport)._get("celery")


def test_ours_skips_it_and_reads_the_next_message(folder):
    (folder / "1_x.celery.msg").write_bytes(b"")
    ours = channel(folder)
    ours._put("celery", {"body": "next"})

    assert ours._get("celery") == {"body": "next"}
    with pytest.raises(filesystem.Empty):
        ours._get("celery")


def test_a_message_appears_whole_or_not_at_all(folder, monkeypatch):
    seen_before_rename = []
    rename = broker.os.replace

    def watching(src, dst):
        seen_before_rename.extend(p.name for p in folder.iterdir() if p.name.endswith(".celery.msg"))
        return rename(src, dst)

    monkeypatch.setattr(broker.os, "replace", watching)
    ours = channel(folder)
    ours._put("celery", {"body": "x" * 100_000})

    assert seen_before_rename == []  # while it was being written, no reader could pick it up
    assert ours._get("celery") == {"body": "x" * 100_000}
