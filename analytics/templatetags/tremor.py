"""Template helpers for the public pages."""

from datetime import UTC, datetime

from django import template
from django.utils.html import format_html

from analytics.detector.levels import RATIO_CAP, Level

register = template.Library()

FORMATS = {"time": "%H:%M", "datetime": "%b %-d, %H:%M", "date": "%b %-d, %Y"}


@register.filter
def moment(value: datetime | None, kind: str = "time") -> str:
    """A <time> in UTC that static/js/local-time.js rewrites to the visitor's time zone; the UTC
    time stays in the title (shown on hover) and is what a visitor without scripts reads."""
    if value is None:
        return ""
    utc = value.astimezone(UTC)
    return format_html(
        '<time datetime="{}" data-local="{}" title="{} UTC">{} UTC</time>',
        utc.isoformat(),
        kind,
        utc.strftime("%Y-%m-%d %H:%M"),
        utc.strftime(FORMATS.get(kind, FORMATS["time"])),
    )


@register.filter
def times(value: float) -> str:
    """A ratio from analytics.detector.levels.ratio as "12.3×" ("over 1000×" at the cap)."""
    if value >= RATIO_CAP:
        return f"over {RATIO_CAP:g}×"
    return f"{value:.1f}×"


def _level(value: int | str | None) -> Level:
    # A service not judged yet has no status row: the template hands over "", shown as OK.
    return Level(int(value or 0))


@register.filter
def level_slug(value: int | str | None) -> str:
    """A public level's CSS and API name ("ok", "possible", "problems"): Level.slug."""
    return _level(value).slug


@register.filter
def level_label(value: int | str | None) -> str:
    """A public level's words ("no problems", "possible problems", "problems"): Level.label."""
    return _level(value).label
