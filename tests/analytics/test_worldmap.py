from analytics.worldmap import report_map, shade_for, shapes, top_countries


def test_the_atlas_is_decoded_into_one_path_per_country_with_iso_codes():
    countries = {shape.code: shape for shape in shapes()}
    assert len(shapes()) == 176  # Natural Earth 1:110m without Antarctica
    assert {"US", "FR", "JP", "BR", "AU", "ZA"} <= set(countries)
    assert countries["US"].path.startswith("M") and countries["US"].path.count("M") > 1
    # Egypt (25–37° E, 22–32° N) starts where an equirectangular projection puts it.
    x, y = (int(v) for v in countries["EG"].path[1:].split("l")[0].split())
    assert 2 * (180 + 24) < x < 2 * (180 + 38) and 2 * (90 - 32) < y < 2 * (90 - 21)


def test_shades_follow_the_share_of_reports():
    assert [shade_for(s) for s in (0.001, 0.05, 0.2, 0.3, 0.9)] == [1, 2, 3, 4, 5]
    countries = {c.code: c for c in report_map({"US": 60, "DE": 35, "IS": 5}, {})}
    assert (countries["US"].shade, countries["DE"].shade, countries["IS"].shade) == (5, 4, 2)
    assert countries["FR"].shade == 0 and countries["FR"].label == "France"


def test_small_counts_are_masked_in_labels_and_lists():
    countries = {c.code: c for c in report_map({"US": 100, "IS": 3}, {"IS": "Iceland"})}
    assert countries["IS"].label == "Iceland: <5 reports"
    top = top_countries({"US": 100, "IS": 3, "NO": 4}, {"US": "United States"})
    assert [(c.code, c.shown, c.percent) for c in top] == [
        ("US", "100", 93),
        ("NO", "<5", None),
        ("IS", "<5", None),
    ]


def test_a_small_count_takes_the_lightest_shade_whatever_its_share():
    # Three reports of four are 75 %: a share-based shade would tell what "<5" hides.
    countries = {c.code: c for c in report_map({"IS": 3, "NO": 1}, {})}
    assert (countries["IS"].shade, countries["NO"].shade) == (1, 1)
    countries = {c.code: c for c in report_map({"IS": 4, "US": 5}, {})}
    assert (countries["IS"].shade, countries["US"].shade) == (1, 5)
