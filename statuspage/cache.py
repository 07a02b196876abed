"""The local cache of `make run`: Django's file cache, culled by expiry, not on every write.

Django's FileBasedCache lists its whole folder on every set() to decide whether to cull,
then deletes a random third when full: with one file per rendered public response
that is O(n) per write and can throw the current pages away. Here expired files are
swept at most once a minute per process, and nothing that is still valid is deleted.

`stamp(key)` tells whether a key was rewritten with one stat() call, so a web process can
check the public version on every request for about a microsecond.
"""

import os
import pickle
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache

SWEEP_EVERY_S = 60.0


class LocalFileCache(FileBasedCache):
    _swept_at = 0.0

    def _cull(self) -> None:
        now = time.monotonic()
        if now - self._swept_at < SWEEP_EVERY_S:
            return
        self._swept_at = now
        for path in self._list_cache_files():
            try:
                with open(path, "rb") as f:
                    self._is_expired(f)  # deletes the file when it has expired
            except FileNotFoundError:
                pass

    def stamp(self, key: str) -> tuple[int, int, int] | None:
        """Changes whenever `key` is set again (set() replaces the file); None if unset."""
        try:
            st = os.stat(self._key_to_file(key))
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _list_cache_files(self) -> list[str]:
        try:
            names = os.listdir(self._dir)
        except FileNotFoundError:
            return []
        return [os.path.join(self._dir, name) for name in names if name.endswith(self.cache_suffix)]

    def copy(self, source: str, target: str, timeout=DEFAULT_TIMEOUT) -> bool:
        """Store `source`'s value under `target` too, without unpickling or compressing it
        again (a render carries thousands of unchanged entries over: statuspage.public.render).
        While the source has at least half of `timeout` to live, the target is a hard link
        to its file (one system call; the link expires with it); else a copy with a fresh
        expiry. False if `source` is missing or expired."""
        source_file, target_file = self._key_to_file(source), self._key_to_file(target)
        try:
            with open(source_file, "rb") as f:
                expiry = pickle.load(f)
                if expiry is not None and expiry < time.time():
                    return False
                new_expiry = self.get_backend_timeout(timeout)
                link = expiry is None or (
                    new_expiry is not None and expiry - time.time() >= (new_expiry - time.time()) / 2)
                value = b"" if link else f.read()  # the compressed pickle, after the expiry
        except (FileNotFoundError, EOFError):
            return False
        self._createdir()
        self._cull()
        tmp_path = os.path.join(self._dir, f".copy-{os.getpid()}-{time.monotonic_ns()}")
        try:
            if link:
                os.link(source_file, tmp_path)
            else:
                with open(tmp_path, "wb") as f:
                    f.write(pickle.dumps(new_expiry, self.pickle_protocol))
                    f.write(value)
            os.replace(tmp_path, target_file)  # atomic: a reader sees the old file or the new one
        except FileNotFoundError:  # the source was swept meanwhile
            return False
        except BaseException:
            if os.path.exists(tmp_path):
                os.remove(tmp_path)
            raise
        return True
