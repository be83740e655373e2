"""A world map of where reports come from, drawn as SVG on the server (no map library, no tiles).

Country shapes come from the vendored `world-atlas` package (Natural Earth 1:110m as TopoJSON);
ISO numeric ids are turned into the alpha-2 codes reports carry with the vendored code table of
`i18n-iso-countries`. The shapes are decoded and projected once per process (equirectangular,
two units per degree: x = 2·(longitude + 180), y = 2·(90 − latitude)), and each page only
chooses colours.
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings

ATLAS = "world-atlas-2.0.2/countries-110m.json"
CODES = "i18n-iso-countries-7.14.0/codes.json"
ANTARCTICA = "010"  # left out: nobody reports from there, and it takes a fifth of the height
SCALE = 2  # map units per degree
VIEW_BOX = "0 12 720 276"  # 84° N to 54° S
# Fewer reports than this from a country are shown as "<5" and not as a number or a share.
SMALL_COUNT = 5
# Share of reports (with a known country) at or above which a country takes each shade.
SHADES = (0.0, 0.02, 0.10, 0.25, 0.50)


@dataclass(frozen=True)
class Shape:
    code: str  # ISO 3166-1 alpha-2, "" when the atlas feature has no ISO code
    name: str
    path: str  # SVG path data in the map's coordinates


@dataclass(frozen=True)
class MapCountry:
    code: str
    name: str
    path: str
    shade: int  # 0 = no reports, 1 = fewer than SMALL_COUNT, 1–5 = share classes
    label: str  # "United States: 34 % (120 reports)" or "Iceland: <5 reports"


def _vendor(name: str) -> Any:  # parsed JSON, whose shape each caller knows (the atlas, the codes)
    return json.loads((settings.BASE_DIR / "static" / "vendor" / name).read_text())


def _decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs are delta-encoded integers; return them as absolute (lon, lat) points."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _ring(arcs: list[list[tuple[float, float]]], indices: list[int]) -> list[tuple[float, float]]:
    """Join a ring's arcs; a negative index ~i means arc i reversed. Arcs share end points."""
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def _path(rings: list[list[tuple[float, float]]]) -> str:
    """Rings as SVG path data on a grid of half degrees: a moveto, then relative linetos in
    small integers (a choropleth needs no finer detail, and the page stays small)."""
    parts = []
    for ring in rings:
        pieces: list[list[tuple[int, int]]] = [[]]
        for lon, lat in ring:
            point = (round((lon + 180) * SCALE), round((90 - lat) * SCALE))
            piece = pieces[-1]
            if piece and abs(point[0] - piece[-1][0]) > 180 * SCALE:
                # The ring crosses the antimeridian (Russia, Fiji): close each side on its own
                # instead of drawing a line across the whole map.
                pieces.append(piece := [])
            if not piece or point != piece[-1]:
                piece.append(point)
        for points in pieces:
            if len(points) < 4:
                continue  # an islet smaller than the grid
            (x, y), steps = points[0], []
            for nx, ny in points[1:]:
                steps.append(f"{nx - x} {ny - y}")
                x, y = nx, ny
            parts.append(f"M{points[0][0]} {points[0][1]}l" + " ".join(steps) + "z")
    return "".join(parts)


@lru_cache(maxsize=1)
def shapes() -> tuple[Shape, ...]:
    """Every country of the atlas (but Antarctica), decoded and projected once per process."""
    topology = _vendor(ATLAS)
    alpha2 = {numeric: code for code, _, numeric, *_ in _vendor(CODES)}
    arcs = _decode_arcs(topology)
    result = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        numeric = geometry.get("id", "")
        if numeric == ANTARCTICA:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = [_ring(arcs, ring) for polygon in polygons for ring in polygon]
        result.append(Shape(alpha2.get(numeric, ""), geometry["properties"]["name"], _path(rings)))
    return tuple(result)


def shade_for(share: float) -> int:
    return max(i + 1 for i, low in enumerate(SHADES) if share >= low)


def report_map(counts: dict[str, int], names: dict[str, str]) -> list[MapCountry]:
    """The map's countries with a shade from their share of `counts` (reports by alpha-2)."""
    total = sum(counts.values())
    countries = []
    for shape in shapes():
        reports = counts.get(shape.code, 0) if shape.code else 0
        name = names.get(shape.code, shape.name)
        if not reports:
            countries.append(MapCountry(shape.code, name, shape.path, 0, name))
            continue
        if reports < SMALL_COUNT:
            # The lightest shade whatever its share: a share-based one would tell the count
            # that the table masks as "<5" (one report of three is a dark 33 %).
            label, shade = f"{name}: <{SMALL_COUNT} reports", 1
        else:
            share = reports / total
            label, shade = f"{name}: {round(100 * share)} % ({reports} reports)", shade_for(share)
        countries.append(MapCountry(shape.code, name, shape.path, shade, label))
    return countries


@dataclass(frozen=True)
class TopCountry:
    code: str
    name: str
    reports: int
    shown: str  # "120" or "<5"
    percent: int | None  # None when the count is too small to show


def top_countries(
    counts: dict[str, int], names: dict[str, str], limit: int = 10
) -> list[TopCountry]:
    """The countries with most reports, small counts masked so no one can be singled out."""
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [
        TopCountry(
            code,
            names.get(code, code),
            reports,
            str(reports) if reports >= SMALL_COUNT else f"<{SMALL_COUNT}",
            round(100 * reports / total) if reports >= SMALL_COUNT else None,
        )
        for code, reports in ranked
    ]
