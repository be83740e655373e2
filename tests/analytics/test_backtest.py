import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from analytics.backtest import read_series, run_backtest
from analytics.models import DetectorTuning
from tests.factories import ROOT


def write_series(path, values, start="2026-01-05 00:00:00", freq="5min", fmt=None):
    index = pd.date_range(start, periods=len(values), freq=freq)
    stamps = index.strftime(fmt) if fmt else index.strftime("%Y-%m-%d %H:%M:%S")
    pd.DataFrame({"timestamp": stamps, "value": values}).to_csv(path, index=False)
    return path


def daily_series(days: int, seed: int = 1, scale: float = 10.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(days * 288)
    return rng.poisson(scale * (1 + 0.8 * np.sin(2 * np.pi * t / 288))).astype(float)


def test_an_injected_outage_is_found_with_its_start_peak_and_end(tmp_path):
    values = daily_series(21)
    onset = 20 * 288 + 120  # day 20, 10:00
    values[onset : onset + 12] *= 6
    result = run_backtest(read_series(write_series(tmp_path / "s.csv", values)))
    late = [i for i in result.incidents if i.start >= pd.Timestamp("2026-01-25", tz="UTC")]
    assert len(late) == 1
    incident = late[0]
    assert incident.start == pd.Timestamp("2026-01-25 10:00", tz="UTC")
    # Decided when a window of the 6× outage was enough: at a bucket's end, after the start.
    assert pd.Timestamp("2026-01-25 10:05", tz="UTC") <= incident.detected
    assert incident.detected <= pd.Timestamp("2026-01-25 10:15", tz="UTC")
    assert incident.end == pd.Timestamp("2026-01-25 11:00", tz="UTC")
    assert incident.level == "problems" and incident.probability < 1e-6


def test_the_backtest_is_causal(tmp_path):
    values = daily_series(15)
    values[14 * 288 + 100 : 14 * 288 + 110] *= 8
    full = run_backtest(read_series(write_series(tmp_path / "a.csv", values)))
    cut = run_backtest(read_series(write_series(tmp_path / "b.csv", values[: 14 * 288 + 110])))
    n = len(cut.levels)
    assert np.array_equal(full.levels[:n], cut.levels)  # the future changed nothing before it


def test_iso_timestamps_with_offsets_are_read_as_utc(tmp_path):
    index = pd.date_range("2026-01-05 01:00", periods=300, freq="5min", tz="+01:00")
    path = tmp_path / "iso.csv"
    pd.DataFrame({"t": index.map(lambda t: t.isoformat()), "n": 3}).to_csv(path, index=False)
    series = read_series(path, "t", "n")
    assert series.index[0] == pd.Timestamp("2026-01-05 00:00", tz="UTC")


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "not a readable CSV"),
        ("timestamp,value\n", "no data rows"),
        ("time,count\n2026-01-01 00:00,1\n", "missing column"),
        ("timestamp,value\n2026-01-01 00:00,1\nyesterday,2\n", "row 3: unparsable timestamp"),
        ("timestamp,value\n2026-01-01 00:00,1\n2026-01-01 00:05,x\n", "row 3: value 'x'"),
        ("timestamp,value\n2026-01-01 00:00,1\n2026-01-01 00:05,-4\n", "is not a count"),
        (
            "timestamp,value\n2026-01-01 00:00,1\n2026-01-01 00:05,1\n2026-01-01 00:12,1\n"
            "2026-01-01 00:17,1\n",
            "irregular spacing",
        ),
        ("timestamp,value\n2026-01-01 00:00,1\n2026-01-01 00:07,1\n", "does not divide a day"),
    ],
)
def test_bad_files_fail_with_one_line_and_a_nonzero_exit(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("backtest", str(path))


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(CommandError, match="file not found"):
        call_command("backtest", str(tmp_path / "nope.csv"))


def test_the_command_prints_incidents_and_levels_and_json(tmp_path, capsys):
    values = daily_series(9)
    values[8 * 288 + 50 : 8 * 288 + 56] *= 10
    path = write_series(tmp_path / "s.csv", values)
    call_command("backtest", str(path))
    text = capsys.readouterr().out
    assert "incidents" in text and "buckets at problems" in text and "[problems]" in text
    call_command("backtest", str(path), "--json")
    body = json.loads(capsys.readouterr().out)
    result = body[str(path)]
    assert result["bucket_minutes"] == 5
    assert "2026-01-13T04:10:00+00:00" in [i["start"] for i in result["incidents"]]
    assert len(result["levels"]["problems"]) >= 5


def test_settings_can_be_tried_with_set(tmp_path, capsys):
    values = daily_series(9)
    values[8 * 288 + 50 : 8 * 288 + 56] *= 10
    path = write_series(tmp_path / "s.csv", values)
    call_command("backtest", str(path), "--json")
    shipped = json.loads(capsys.readouterr().out)[str(path)]
    assert shipped["incidents"]
    # Demanding 5,000 reports in a window and a near-certainty silences it.
    call_command(
        "backtest",
        str(path),
        "--json",
        "--set",
        "open_min_reports=5000",
        "--set",
        "open_probabilities=1e-300,1e-300,1e-300,1e-300,1e-300",
    )
    assert json.loads(capsys.readouterr().out)[str(path)]["incidents"] == []


@pytest.mark.parametrize(
    "option, message",
    [
        ("open_min_reports", "expected NAME=VALUE"),
        ("no_such=1", "unknown detector setting"),
        ("open_min_reports=many", "must be a whole number"),
    ],
)
def test_bad_settings_are_one_line(tmp_path, option, message):
    path = write_series(tmp_path / "s.csv", daily_series(2))
    with pytest.raises(CommandError, match=message):
        call_command("backtest", str(path), "--set", option)


def test_tuning_of_a_service_applies_its_stored_tuning(tmp_path, capsys, outlook):
    capsys.readouterr()  # the catalogue fixture's own line
    values = daily_series(9)
    values[8 * 288 + 50 : 8 * 288 + 56] *= 10
    path = write_series(tmp_path / "s.csv", values)
    call_command("backtest", str(path), "--json", "--tuning-of", "outlook")
    untuned = capsys.readouterr()
    assert json.loads(untuned.out)[str(path)]["incidents"]  # the defaults find the outage
    assert untuned.err.strip() == "Outlook has no detector tuning: using the shipped defaults"
    DetectorTuning.objects.create(
        service=outlook, overrides={"open_min_reports": 5000, "open_probabilities": [1e-300] * 5}
    )
    call_command("backtest", str(path), "--json", "--tuning-of", "outlook")
    tuned_run = capsys.readouterr()
    assert json.loads(tuned_run.out)[str(path)]["incidents"] == []
    assert "Outlook's detector tuning: " in tuned_run.err and "5000" in tuned_run.err


def test_set_applies_on_top_of_the_stored_tuning(tmp_path, capsys, outlook):
    capsys.readouterr()  # the catalogue fixture's own line
    values = daily_series(9)
    values[8 * 288 + 50 : 8 * 288 + 56] *= 10
    path = write_series(tmp_path / "s.csv", values)
    DetectorTuning.objects.create(service=outlook, overrides={"open_min_reports": 5000})
    call_command("backtest", str(path), "--json", "--tuning-of", "outlook")
    assert json.loads(capsys.readouterr().out)[str(path)]["incidents"] == []
    call_command(
        "backtest", str(path), "--json", "--tuning-of", "outlook", "--set", "open_min_reports=10"
    )
    assert json.loads(capsys.readouterr().out)[str(path)]["incidents"]


def test_tuning_of_an_unknown_service_is_one_line(tmp_path, db):
    path = write_series(tmp_path / "s.csv", daily_series(2))
    with pytest.raises(CommandError, match="^--tuning-of: no service with slug 'nope'$"):
        call_command("backtest", str(path), "--tuning-of", "nope")


def test_a_stored_tuning_that_no_longer_validates_is_one_line(tmp_path, outlook):
    path = write_series(tmp_path / "s.csv", daily_series(2))
    DetectorTuning.objects.create(service=outlook, overrides={"onset_threshold": 18})
    with pytest.raises(CommandError, match="no longer validates: unknown detector setting"):
        call_command("backtest", str(path), "--tuning-of", "outlook")


def test_an_unknown_service_exits_nonzero_without_a_traceback(tmp_path, db):
    path = write_series(tmp_path / "s.csv", daily_series(2))
    env = {**os.environ, "DATABASE_NAME": connection.settings_dict["NAME"]}
    result = subprocess.run(
        [sys.executable, "manage.py", "backtest", str(path), "--tuning-of", "nope"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == "CommandError: --tuning-of: no service with slug 'nope'"
