"""Every text on the public pages is readable in the light and the dark theme: WCAG 2 contrast of
at least 4.5:1 for body text and 3:1 for large text, measured in a real browser against the
background the text actually sits on (the nearest ancestors that paint one)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import pipeline
from reports.models import Service
from tests.factories import make_incident, make_reports

# Walks every visible element that holds text of its own and returns those whose contrast with
# the background behind them is too low, with the two colours and the ratio.
LOW_CONTRAST = """() => {
  const rgba = (s) => (s.match(/[\\d.]+/g) || []).map(Number).concat([1]).slice(0, 4);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const backdrop = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = rgba(getComputedStyle(e).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];
    if (!layers.length || layers[layers.length - 1][3] < 1) {
      colour = rgba(getComputedStyle(document.documentElement).backgroundColor);
      if (colour[3] === 0) colour = [255, 255, 255, 1];
    }
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (['SCRIPT', 'STYLE', 'OPTION', 'NOSCRIPT'].includes(el.tagName)) continue;
    if (el.closest('svg, .visually-hidden, .skip, [hidden]')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden' || +style.opacity === 0) continue;
    const bg = backdrop(el);
    const fg = over(rgba(style.color), bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && +style.fontWeight >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      found.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" `
        + `${style.color} on rgb(${bg.slice(0, 3).map(Math.round)}) ${ratio.toFixed(2)}:1`);
    }
  }
  return found;
}"""

PAGES = [
    "/",
    "/services/outlook/",
    "/services/gmail/",
    "/groups/microsoft-365/",
    "/incidents/{incident}/",
    "/search/?q=out",
    "/about/",
    "/privacy/",
    "/no-such-page/",
]


@pytest.fixture
def troubled_site(site):
    """Outlook and Teams in trouble now (red and amber texts, a group strip) and a past incident
    at Gmail."""
    now = timezone.now()
    outlook = Service.objects.get(slug="outlook")
    teams = Service.objects.get(slug="microsoft-teams")
    make_reports(outlook, 60, at=now)
    make_reports(teams, 60, at=now, prefix="t")
    pipeline.refresh_analytics(now)
    gmail = Service.objects.get(slug="gmail")
    past = make_incident(
        gmail,
        started_at=now - timedelta(hours=5),
        ended_at=now - timedelta(hours=4),
        reports=60,
        expected=3,
    )
    return site, past.pk


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_is_readable_in_both_themes(troubled_site, browser, scheme):
    site, incident = troubled_site
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    failures = {}
    for path in PAGES:
        page.goto(site + path.format(incident=incident))
        page.wait_for_load_state("networkidle")
        low = page.evaluate(LOW_CONTRAST)
        if page.locator(".problem-buttons button").count():
            # A focused (or hovered) problem button is drawn in the accent colour.
            page.locator(".problem-buttons button").first.focus()
            low += page.evaluate(LOW_CONTRAST)
        if low:
            failures[path] = low
    context.close()
    assert failures == {}
