"""After a quarantine or its release: recount the window, refit the baseline, and hold (or give
back) the incidents the detector would no longer open on the reports that count now.

The console decides which reports count; this module redoes what detection built on them.
"""

from datetime import datetime, timedelta

import numpy as np
from django.utils import timezone

from analytics.binning import refresh_buckets
from analytics.detector import DEFAULTS, Status, Tracker
from analytics.detector.baselines import slot_of_week
from analytics.detector.replay import judge_series, replay
from analytics.detector.windows import NOISE_PRIOR
from analytics.models import Baseline, DetectorTuning, Incident, ServiceBucket
from analytics.pipeline import rebuild_baselines
from analytics.timeutils import bucket_width, floor_bucket
from reports.models import Quarantine

# The replay starts this long before reports began rising (the windows need their run-up) and
# looks for an opening until this long after the detector first decided: a slow onset that took
# an hour of moderate evidence is found again if the reports that decided it still count.
RUN_UP = timedelta(hours=1)
LATE = timedelta(minutes=30)


def still_opens(incident: Incident) -> bool:
    width = bucket_width()
    first = floor_bucket(incident.started_at - RUN_UP, width)
    last = floor_bucket(incident.detected_at + LATE, width)
    baseline = Baseline.objects.filter(service_id=incident.service_id).first()
    if baseline is None:
        return True  # nothing to judge against: leave it alone
    tuning = DetectorTuning.objects.filter(service_id=incident.service_id).first()
    settings = tuning.settings_or_defaults() if tuning else DEFAULTS
    found = dict(
        ServiceBucket.objects.filter(service_id=incident.service_id)
        .in_window(first, last + width)
        .values_list("start", "reports")
    )
    length = int((last - first) / width) + 1
    moments = [first + i * width for i in range(length)]
    counts = np.array([found.get(m, 0) for m in moments], dtype=float)
    expected = np.array([baseline.expected[slot_of_week(m, width)] for m in moments])
    noise = np.tile(baseline.noise or list(NOISE_PRIOR), (length, 1))
    judged = judge_series(counts, expected, noise, 0, length, first, width, settings)
    _, steps = replay(Tracker(), judged, width, settings)
    return any(
        s.tracker.incident and s.tracker.incident.status != Status.RESOLVED for _, s in steps
    )


def recount_after_quarantine(quarantine: Quarantine, *, releasing: bool) -> None:
    """Recount the quarantine's window from the reports that count now, refit its service's
    baseline, then withdraw the incidents that no longer open (or, on release, restore them)."""
    refresh_buckets(quarantine.start, quarantine.end)
    rebuild_baselines(timezone.now(), services=[quarantine.service_id])
    if releasing:
        restore_withdrawn(quarantine)
    else:
        withdraw_unsupported(quarantine.service_id, quarantine.start, quarantine.end, quarantine)


def withdraw_unsupported(
    service_id: int, start: datetime, end: datetime, quarantine: Quarantine
) -> int:
    """Hold the service's incidents whose evidence lies in [start, end) (reports began rising
    before its end, the decision came after its start) that the detector would no longer open;
    returns how many."""
    withdrawn = 0
    for incident in Incident.objects.filter(
        service_id=service_id,
        detected_at__gte=start,
        started_at__lt=end,
        withdrawn_by__isnull=True,
    ):
        if still_opens(incident):
            continue
        incident.review_before, incident.review_reason_before = (
            incident.review,
            incident.review_reason,
        )
        incident.review = Incident.Review.HELD
        incident.review_reason = "the reports that opened it were quarantined as abuse"
        incident.withdrawn_by = quarantine
        incident.save()
        withdrawn += 1
    return withdrawn


def restore_withdrawn(quarantine: Quarantine) -> int:
    """Give back the incidents this quarantine withdrew, with the review they had before."""
    restored = 0
    for incident in Incident.objects.filter(withdrawn_by=quarantine):
        incident.review, incident.review_reason = (
            incident.review_before,
            incident.review_reason_before,
        )
        incident.review_before = incident.review_reason_before = ""
        incident.withdrawn_by = None
        incident.save()
        restored += 1
    return restored
