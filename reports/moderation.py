"""Which new comments wait for a moderator instead of showing at once."""

import re
import time

from django.conf import settings

from reports.models import BlockedPattern, Comment

# Links are the usual payload of comment spam; with COMMENT_HOLD_LINKS they always wait.
LINK = re.compile(
    r"https?://|www\.|\b[\w-]+\.(?:com|net|org|info|io|ru|xyz|top|click|link)\b", re.I
)
# Characters that change how text around them is shown without being seen: bidirectional
# overrides and isolates (a comment could reverse a link's text), zero-width joiners and
# spaces, and the other format and control characters. Newlines and tabs stay.
INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
_CACHE_SECONDS = 60
_cache: tuple[float, list[re.Pattern]] | None = None


def blocklist() -> list[re.Pattern]:
    """The moderators' patterns, compiled; cached per process for a minute (and dropped on
    any change made in this process)."""
    global _cache
    if _cache is None or time.monotonic() - _cache[0] > _CACHE_SECONDS:
        patterns = []
        for rule in BlockedPattern.objects.only("pattern", "kind"):
            try:
                patterns.append(rule.compiled())
            except re.error:
                continue  # refused by the admin form; a row written otherwise is skipped
        _cache = (time.monotonic(), patterns)
    return _cache[1]


def forget_blocklist(**kwargs: object) -> None:
    """Drop this process's copy (connected to BlockedPattern's save and delete signals)."""
    global _cache
    _cache = None


def without_invisible_controls(text: str) -> str:
    """The text with invisible control and format characters removed (INVISIBLE)."""
    return INVISIBLE.sub("", text)


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
