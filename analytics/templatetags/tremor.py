"""Template helpers for the public pages."""

from datetime import UTC, datetime

from django import template
from django.utils.html import format_html

from analytics.chart_svg import BOTTOM, HEIGHT, LEFT, WIDTH, chart_geometry
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
def utc_time(value: datetime | None) -> str:
    """ "04:55 UTC", as plain text: for titles and sharing tags, where no script localises it."""
    return value.astimezone(UTC).strftime("%H:%M UTC") if value else ""


# Below this many reports in the window a multiple of the usual number says little.
FEW_REPORTS = 5
NUMBER_WORDS = {2: "twice", 3: "three times", 4: "four times", 5: "five times"}


@register.filter
def against_usual(reports: int, expected: float) -> str:
    """The window's reports against the usual number, in words for visitors: "about 30 times the
    usual number of reports"; "" when there are too few reports to say anything."""
    if reports < FEW_REPORTS:
        return ""
    if expected < 0.5:
        return "far more reports than usual (usually almost none)"
    multiple = reports / expected
    if multiple < 1.5:
        return "about the usual number of reports" if multiple >= 0.67 else ""
    rounded = round(multiple) if multiple < 20 else round(multiple, -1)
    words = NUMBER_WORDS.get(int(rounded), f"{rounded:g} times")
    return f"about {words} the usual number of reports"


@register.filter
def above_usual(reports: int, expected: float) -> bool:
    """Whether `against_usual` says more than usual."""
    return reports >= FEW_REPORTS and (expected < 0.5 or reports / expected >= 1.5)


@register.simple_tag
def status_headline(name: str, status: object | None) -> str:
    """A service's status in one line for titles and sharing tags: "Outlook: problems since
    04:55 UTC", "Outlook: possible problems", "Outlook: no current problems"."""
    level = _level(getattr(status, "level", 0))
    if level == Level.PROBLEMS:
        since = utc_time(getattr(status, "since", None))
        return f"{name}: problems since {since}" if since else f"{name}: problems"
    if level == Level.POSSIBLE:
        return f"{name}: possible problems"
    return f"{name}: no current problems"


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


@register.inclusion_tag("analytics/_chart_svg.html")
def chart_svg(chart: dict) -> dict:
    """The server-drawn chart of a page's chart data (analytics.views.chart_payload)."""
    return {
        "g": chart_geometry(
            chart["t"], chart["reports"], chart["expected"], chart["bands"], chart["filling"]
        ),
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "plot_height": HEIGHT - BOTTOM,
        "last_reports": chart["reports"][-1] if chart["reports"] else 0,
        "first": datetime.fromtimestamp(chart["t"][0], UTC) if chart["t"] else None,
        "last": datetime.fromtimestamp(chart["t"][-1], UTC) if chart["t"] else None,
    }
