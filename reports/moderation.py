"""Which new comments wait for a moderator instead of showing at once."""

import re
import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from reports.models import BlockedPattern, Comment

# Links are the usual payload of comment spam; with COMMENT_HOLD_LINKS they always wait.
LINK = re.compile(
    r"https?://|www\.|\b[\w-]+\.(?:com|net|org|info|io|ru|xyz|top|click|link)\b", re.I
)
_CACHE_SECONDS = 60
_cache: tuple[float, list[re.Pattern]] | None = None


def compile_pattern(pattern: str, kind: str) -> re.Pattern:
    if kind == BlockedPattern.Kind.REGEX:
        return re.compile(pattern, re.I)
    return re.compile(r"(?<!\w)" + re.escape(pattern.strip()) + r"(?!\w)", re.I)


def blocklist() -> list[re.Pattern]:
    """The moderators' patterns, compiled; cached per process for a minute (and dropped on
    any change made in this process)."""
    global _cache
    if _cache is None or time.monotonic() - _cache[0] > _CACHE_SECONDS:
        patterns = []
        for pattern, kind in BlockedPattern.objects.values_list("pattern", "kind"):
            try:
                patterns.append(compile_pattern(pattern, kind))
            except re.error:
                continue  # refused by the admin form; a row written otherwise is skipped
        _cache = (time.monotonic(), patterns)
    return _cache[1]


def forget_blocklist(**kwargs) -> None:
    global _cache
    _cache = None


post_save.connect(forget_blocklist, sender=BlockedPattern, dispatch_uid="blocklist-save")
post_delete.connect(forget_blocklist, sender=BlockedPattern, dispatch_uid="blocklist-delete")


def hold_reason(body: str, reporter_key: str) -> str:
    """Why this comment should wait for review, or "" to show it at once."""
    if settings.TREMOR["COMMENT_HOLD_LINKS"] and LINK.search(body):
        return "contains a link"
    for pattern in blocklist():
        if pattern.search(body):
            return f"matches the blocklist ({pattern.pattern[:80]})"
    earlier = Comment.objects.filter(
        report__reporter_key=reporter_key, status__in=[Comment.Status.HIDDEN, Comment.Status.SPAM]
    )
    if earlier.exists():
        return "this reporter had a comment hidden or marked as spam today"
    return ""
