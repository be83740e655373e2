"""The secret behind one day's reporter and network keys: random, shared, destroyed after the day.

A secret derived from SECRET_KEY and the date could be recomputed for every past day by anyone
holding the key and a database dump, who could then link a person's reports across days and
brute-force the /24 behind a network key. So each UTC day gets 32 random bytes, minted once by
whichever process needs them first and kept only in shared storage: the Redis cache when
CACHE_URL is set (production), otherwise a file under var/salts/ that only its owner can read.
It expires at the end of the day plus the dedupe window (a report just after midnight must still
meet the one just before it); after that nobody, the operator included, can recompute a key.

Each process keeps the salts it read for a minute, so a report costs no extra round trip; should
the store lose a salt (Redis flushed), every process has the new one within that minute. Should
the store be down, a process keeps what it had, or uses a salt of its own, rather than lose a
report.
"""

import contextlib
import logging
import os
import secrets
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

SALT_BYTES = 32
_MEMO_SECONDS = 60.0
_memo: dict[date, tuple[bytes, float]] = {}


def expires_at(day: date) -> datetime:
    """When a day's salt is destroyed: midnight after it, plus the dedupe window and a minute."""
    window = timedelta(minutes=cast(int, settings.TREMOR.get("DEDUPE_MINUTES", 15)) + 1)
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) + window


def salt_for(day: date) -> bytes:
    """The salt of a UTC day, minted on first use; every process gets the same one."""
    memo = _memo.get(day)
    if memo is not None and time.monotonic() - memo[1] < _MEMO_SECONDS:
        return memo[0]
    now = timezone.now()
    lifetime = max((expires_at(day) - now).total_seconds(), 1.0)
    try:
        salt = _store().salt(day, lifetime, now)
    except Exception as error:  # the cache's own errors, whatever its client raises
        # A report is never lost to a cache outage: keep the salt this process had, or use one
        # of its own until the store answers again (the same person may then count once per
        # process: logged, and over within a minute of the store's return).
        salt = memo[0] if memo is not None else secrets.token_bytes(SALT_BYTES)
        logger.warning("reporter salt store failed, using this process's salt: %s", error)
        _memo[day] = (salt, time.monotonic() - _MEMO_SECONDS + 5)  # try the store again soon
        return salt
    read_at = time.monotonic()
    for stale in [d for d, (_, then) in _memo.items() if read_at - then >= _MEMO_SECONDS]:
        del _memo[stale]  # it would be read again anyway: this keeps the memo small
    _memo[day] = (salt, read_at)
    return salt


def forget() -> None:
    """Drop this process's copies (tests that stand in for a second process)."""
    _memo.clear()


class CacheStore:
    """Salts in the shared cache, which deletes them when their lifetime is over (Redis)."""

    def salt(self, day: date, lifetime: float, now: datetime) -> bytes:
        key = f"tremor:reporter-salt:{day.isoformat()}"
        # add() is SET NX: of two processes minting at once, one wins and both read its salt.
        cache.add(key, secrets.token_bytes(SALT_BYTES), timeout=int(lifetime) + 1)
        salt = cache.get(key)
        if not isinstance(salt, bytes) or len(salt) != SALT_BYTES:
            raise RuntimeError("the cache lost the reporter salt it was given")
        return salt


class FileStore:
    """Salts as files of mode 600 in a directory of mode 700, one per day; a file is published
    by a hard link, which fails if another process got there first, so a reader never sees half
    a salt. Days whose lifetime is over are deleted whenever a salt is read from disk."""

    def __init__(self, directory: Path):
        self.directory = directory

    def salt(self, day: date, lifetime: float, now: datetime) -> bytes:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._destroy_expired(now)
        path = self.directory / f"{day.isoformat()}.salt"
        with contextlib.suppress(FileNotFoundError):  # not minted yet: mint it below
            return self._read(path)
        handle, draft = tempfile.mkstemp(dir=self.directory, prefix=".draft-")  # mode 600
        try:
            os.write(handle, secrets.token_bytes(SALT_BYTES))
            os.fsync(handle)
            os.close(handle)
            # Fails if another process minted it a moment ago: then theirs is used.
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            os.unlink(draft)
        return self._read(path)

    def _read(self, path: Path) -> bytes:
        salt = path.read_bytes()
        if len(salt) != SALT_BYTES:
            raise RuntimeError(f"{path} is not a reporter salt ({len(salt)} bytes)")
        return salt

    def _destroy_expired(self, now: datetime) -> None:
        for path in self.directory.glob("*.salt"):
            try:
                day = date.fromisoformat(path.stem)
            except ValueError:
                continue
            if expires_at(day) <= now:
                path.unlink(missing_ok=True)


def _store() -> CacheStore | FileStore:
    where = settings.REPORTER_SALTS
    return CacheStore() if where == "cache" else FileStore(Path(where))
