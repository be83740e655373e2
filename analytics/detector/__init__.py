"""The pure detector: evidence, baselines, the incident state machine and the replay loop.

Imports neither Django nor the clock (a test keeps it so): every moment is passed in.
"""

from analytics.detector.levels import Level, ratio
from analytics.detector.machine import Event, IncidentState, Judgement, Status, Tracker, advance
from analytics.detector.settings import DEFAULTS, DetectorSettings, tuned

__all__ = [
    "DEFAULTS",
    "DetectorSettings",
    "Event",
    "IncidentState",
    "Judgement",
    "Level",
    "Status",
    "Tracker",
    "advance",
    "ratio",
    "tuned",
]
