"""The site's colours meet WCAG AA contrast (4.5:1 for text) in the light and the dark theme."""

import re

import pytest

from tests.factories import ROOT

CSS = (ROOT / "static" / "css" / "site.css").read_text()
TEXT_COLOURS = ["--fg", "--muted", "--ok", "--possible", "--problems", "--accent"]
BACKGROUNDS = ["--bg", "--card"]


def theme(dark: bool) -> dict[str, str]:
    """The colour variables of the first :root block (light) or the dark media query's."""
    blocks = re.findall(r"(@media \(prefers-color-scheme: dark\) \{\s*)?:root \{([^}]*)\}", CSS)
    colours: dict[str, str] = {}
    for is_dark, body in blocks:
        if bool(is_dark) == dark:
            colours.update(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})", body))
    return colours


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_text_colours_are_readable_on_every_background(dark):
    colours = theme(dark)
    for text in TEXT_COLOURS:
        for background in BACKGROUNDS:
            ratio = contrast(colours[text], colours[background])
            assert ratio >= 4.5, f"{text} on {background}: {ratio:.2f}:1"


def test_the_contrast_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
