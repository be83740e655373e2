"""The report chart drawn on the server, for visitors without JavaScript (the script replaces
it with the interactive chart). Pure: numbers in, SVG geometry out; no Django, no clock.

The filling interval is drawn as a dot ("so far"), not as the end of the line: a bucket a
minute old holds a minute of reports, and joining it to the line would show a drop that is not
there.
"""

from dataclasses import dataclass
from itertools import cycle

WIDTH, HEIGHT = 600, 200
LEFT, BOTTOM = 36, 18  # room for the y labels and the x labels


@dataclass(frozen=True)
class ChartGeometry:
    reports: str  # polyline points of the closed intervals
    typical: str  # polyline points of the baseline
    so_far: tuple[float, float] | None  # the filling interval's dot
    bands: list[tuple[float, float]]  # x and width of each incident band
    y_ticks: list[tuple[float, int]]  # y position and value
    top: int  # the y axis' maximum


def _nice_top(peak: float) -> int:
    """A round axis maximum at or above the peak: 5, 10, 20, 50, 100, 200, 500, …"""
    top, steps = 5.0, cycle((2, 2, 2.5))
    while top < peak:
        top *= next(steps)
    return int(top)


def chart_geometry(
    t: list[int],
    reports: list[int],
    expected: list[float],
    bands: list[list[int | None]],
    filling: bool = True,
) -> ChartGeometry | None:
    """Positions for `t` (epoch seconds, one per interval; with `filling` the last one is still
    filling), the reports and baseline per interval, and incident bands [[start, end or None],
    …]. None without data."""
    if len(t) < 2:
        return None
    top = _nice_top(max(max(reports), max(expected), 1) * 1.1)
    first, last = t[0], t[-1]
    span = max(last - first, 1)
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM

    def x(moment: float) -> float:
        return round(LEFT + (min(max(moment, first), last) - first) / span * plot_w, 1)

    def y(value: float) -> float:
        return round(plot_h - value / top * plot_h, 1)

    def line(values) -> str:
        return " ".join(f"{x(m)},{y(v)}" for m, v in zip(t, values, strict=False))

    placed = []
    for start, end in bands:
        left = x(start or first)
        right = x(end if end is not None else last)
        if right > left:
            placed.append((left, round(right - left, 1)))
    return ChartGeometry(
        reports=line(reports[:-1] if filling else reports),
        typical=line(expected),
        so_far=(x(last), y(reports[-1])) if filling else None,
        bands=placed,
        y_ticks=[(y(top * k / 4), round(top * k / 4)) for k in range(5)],
        top=top,
    )
