"""After a quarantine: would the detector still open this incident on the reports that count?"""

from datetime import timedelta

from analytics import detection
from analytics.baselines import slot_of_week
from analytics.models import Baseline, DetectorTuning, Incident, ServiceBucket
from analytics.timeutils import bucket_width, floor_bucket

# The replay starts this long before the incident (the CUSUMs need some run-up) and looks for
# an opening up to this long after its start.
RUN_UP = timedelta(hours=1)
LATE = timedelta(minutes=30)


def still_opens(incident: Incident) -> bool:
    width = bucket_width()
    first = floor_bucket(incident.started_at - RUN_UP, width)
    last = incident.started_at + LATE
    baseline = Baseline.objects.filter(service_id=incident.service_id).first()
    if baseline is None:
        return True  # nothing to judge against: leave it alone
    tuning = DetectorTuning.objects.filter(service_id=incident.service_id).first()
    settings = tuning.settings() if tuning else detection.DEFAULTS
    counts = dict(
        ServiceBucket.objects.filter(service_id=incident.service_id)
        .in_window(first, last + width)
        .values_list("start", "reports")
    )
    tracker = detection.Tracker()
    moment = first
    while moment <= last:
        expected = baseline.expected[slot_of_week(moment, width)]
        evidence = detection.Evidence(moment, counts.get(moment, 0), expected, baseline.alpha)
        tracker = detection.advance(tracker, evidence, width, settings)
        if tracker.incident is not None and tracker.incident.status != "resolved":
            return True
        moment += width
    return False


def withdraw_unsupported(service_id: int, start, end, quarantine) -> int:
    """Hold the service's incidents opened in [start, end) that the detector would no longer
    open; returns how many."""
    withdrawn = 0
    for incident in Incident.objects.filter(
        service_id=service_id,
        started_at__gte=start - LATE,
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


def restore_withdrawn(quarantine) -> int:
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
