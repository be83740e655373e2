"""Template helpers for the public pages."""

from datetime import UTC, datetime

from django import template
from django.utils.html import format_html

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
def ratio(observed: float, expected: float) -> str:
    """observed/expected as "12.3×", with the detector's floor of 0.5 under expected."""
    return f"{observed / max(expected or 0.0, 0.5):.1f}×"
