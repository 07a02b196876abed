"""The local cache of `make run`: Django's file cache, culled by expiry, not on every write.

Django's FileBasedCache lists its whole folder on every set() to decide whether to cull,
then deletes a random third when full: with one file per rendered public response
that is O(n) per write and can throw the current pages away. Here expired files are
swept at most once a minute per process, and nothing that is still valid is deleted.

`stamp(key)` tells whether a key was rewritten with one stat() call, so a web process can
check the public version on every request for about a microsecond.
"""

import os
import time

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
