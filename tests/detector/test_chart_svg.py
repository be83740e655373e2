"""The server-drawn chart's geometry: the filling interval is a dot, bands are clipped to the
chart, and the axis ends on a round number above the peak."""

from analytics.chart_svg import BOTTOM, HEIGHT, LEFT, WIDTH, chart_geometry

T = [i * 300 for i in range(5)]


def test_the_filling_interval_is_a_dot_and_not_the_end_of_the_line():
    g = chart_geometry(T, [10, 40, 38, 41, 2], [3.0] * 5, [])
    assert len(g.reports.split()) == 4  # the four closed intervals
    assert g.so_far == (WIDTH, round((HEIGHT - BOTTOM) * (1 - 2 / g.top), 1))
    closed = chart_geometry(T, [10, 40, 38, 41, 2], [3.0] * 5, [], filling=False)
    assert len(closed.reports.split()) == 5 and closed.so_far is None


def test_the_axis_top_is_round_and_above_the_peak():
    assert chart_geometry(T, [0, 1, 0, 2, 0], [1.0] * 5, []).top == 5
    assert chart_geometry(T, [0, 41, 0, 2, 0], [1.0] * 5, []).top == 50
    assert chart_geometry(T, [0, 460, 0, 2, 0], [1.0] * 5, []).top == 1000


def test_bands_are_clipped_to_the_chart_and_an_open_one_runs_to_now():
    g = chart_geometry(T, [1] * 5, [1.0] * 5, [[-600, 600], [900, None]])
    (x1, w1), (x2, w2) = g.bands
    assert x1 == LEFT and x1 + w1 < x2 and round(x2 + w2) == WIDTH


def test_no_chart_without_data():
    assert chart_geometry([], [], [], []) is None
