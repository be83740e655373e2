import hashlib
import json

from tests.factories import ROOT

VENDOR = ROOT / "static" / "vendor"

# SHA-256 of the files as published in the npm packages pinned in static/vendor/package.json.
CHECKSUMS = {
    "uplot-1.6.32/uPlot.iife.min.js": "19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f",
    "uplot-1.6.32/uPlot.min.css": "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04",
    "uplot-1.6.32/LICENSE": "8f989229699b4fe2f1a0432d0e9edc338a8a911e250e2d1b01ecd770a5f5b1bd",
    "world-atlas-2.0.2/countries-110m.json": "2516c915867c7baf18ddec727aec46c315541a07cfb3d79a6559b05d5e94eee8",
    "world-atlas-2.0.2/LICENSE": "8048290dfdb6e83fbed17e8985c8cfc4ce9da9b842642f3d3e497280790cfa31",
    "i18n-iso-countries-7.14.0/codes.json": "736d7666e943e0bca25c518e3903e2b328ce54b94662553a6472c379dbfb50aa",
    "i18n-iso-countries-7.14.0/LICENSE": "9b3bd707c23dd2bdc57df2a4b42f402dc5d6c6f54e527608eeef24bbb161ac1b",
}


def test_vendored_files_match_their_published_checksums():
    for name, expected in CHECKSUMS.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == expected, name


def test_every_vendored_package_is_pinned_in_package_json():
    pinned = json.loads((VENDOR / "package.json").read_text())["dependencies"]
    folders = {p.name for p in VENDOR.iterdir() if p.is_dir()}
    assert folders == {f"{name}-{version}" for name, version in pinned.items()}


def test_no_template_loads_anything_from_another_host():
    templates = ROOT / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text()
        assert "https://" not in text and "http://" not in text and "//cdn" not in text, path
