"""The output side: buckets of counted reports, baselines, per-service status and incidents.

Pages and the read API use these tables only; raw reports are aggregated by the binning job.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, FloatField, Q
from django.db.models.functions import Cast, NullIf

from analytics.detector import levels
from analytics.detector.machine import Status
from analytics.detector.settings import DetectorSettings, tuned
from reports.models import ProblemType, Service, ServiceGroup

logger = logging.getLogger(__name__)


class BucketQuerySet(models.QuerySet):
    def in_window(self, start: datetime, end: datetime) -> "BucketQuerySet":
        """Buckets whose start lies in [start, end)."""
        return self.filter(start__gte=start, start__lt=end)


class ServiceBucket(models.Model):
    """Distinct counted reporters for one service in one bucket (named by its UTC start).

    Stored sparsely: a bucket with no reports has no row; readers fill zeros.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="buckets")
    start = models.DateTimeField()
    reports = models.PositiveIntegerField()
    simulated = models.PositiveIntegerField(default=0, help_text="How many of them are simulated.")

    objects = BucketQuerySet.as_manager()

    class Meta:
        constraints = [
            # Also the index for "buckets of one service over a window" (charts, detection).
            models.UniqueConstraint(fields=["service", "start"], name="servicebucket_unique"),
        ]
        indexes = [
            # The home page's sparklines read all services over a window, and the per-minute
            # recount deletes the window's stale buckets (analytics.binning).
            models.Index(fields=["start"], name="servicebucket_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} @ {self.start:%Y-%m-%d %H:%M}: {self.reports}"


class ProblemBucket(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    problem = models.ForeignKey(ProblemType, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    reports = models.PositiveIntegerField()

    objects = BucketQuerySet.as_manager()

    class Meta:
        constraints = [
            # Also serves "problems of one service over a window" on the service page.
            models.UniqueConstraint(
                fields=["service", "start", "problem"], name="problembucket_unique"
            ),
        ]
        indexes = [
            # The per-minute recount deletes the window's buckets left without reports
            # (analytics.binning): a range of start across all services.
            models.Index(fields=["start"], name="problembucket_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}/{self.problem_id} @ {self.start:%Y-%m-%d %H:%M}: {self.reports}"


class CountryBucket(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    country = models.CharField(max_length=2, blank=True, help_text="Blank = unknown.")
    start = models.DateTimeField()
    reports = models.PositiveIntegerField()

    objects = BucketQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "start", "country"], name="countrybucket_unique"
            ),
        ]
        indexes = [
            # As for ProblemBucket: the recount's delete of stale buckets in its window.
            models.Index(fields=["start"], name="countrybucket_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}/{self.country or '??'} @ {self.start:%Y-%m-%d %H:%M}: {self.reports}"


class Baseline(models.Model):
    """A service's fitted baseline: expected reports per bucket for every slot of the week.

    Slot 0 is Monday 00:00 UTC (analytics.detector.baselines.slot_of_week). Rebuilt by a scheduled task.
    """

    service = models.OneToOneField(
        Service, on_delete=models.CASCADE, primary_key=True, related_name="baseline"
    )
    expected = ArrayField(models.FloatField(), help_text="Per slot of the week, level included.")
    noise = ArrayField(
        models.FloatField(),
        default=list,
        help_text="Noise of the log rate per window of 1, 2, 3, 6 and 12 buckets "
        "(analytics.detector.windows).",
    )
    level = models.FloatField(default=1.0, help_text="Recent level over the weekly profile.")
    history_days = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"baseline of {self.service_id} (level {self.level:.2f})"


class DetectorTuning(models.Model):
    """Per-service detector settings that differ from the shipped defaults.

    `overrides` maps names of analytics.detector.settings.DetectorSettings to values, e.g.
    {"open_min_reports": 30, "open_ratios": [10, 6, 4, 3.5, 3]}. Try them first with
    `backtest --set` on the service's exported history.
    """

    service = models.OneToOneField(
        Service, on_delete=models.CASCADE, primary_key=True, related_name="detector_tuning"
    )
    overrides = models.JSONField(
        default=dict,
        blank=True,
        help_text='Setting name → value, e.g. {"open_min_reports": 30}. See the README.',
    )
    reason = models.TextField(
        blank=True, help_text="Why this service needs it (for the next operator)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"detector tuning of {self.service}"

    def clean(self) -> None:
        try:
            tuned(self.overrides)
        except ValueError as exc:
            raise ValidationError({"overrides": str(exc)}) from exc

    def settings(self) -> DetectorSettings:
        return tuned(self.overrides)

    def settings_or_defaults(self) -> DetectorSettings:
        """The tuned settings, or the shipped defaults with a warning in the log when the stored
        overrides no longer validate (a setting renamed by an upgrade): one stale row must not
        stop detection for every service."""
        try:
            return self.settings()
        except ValueError as exc:
            logger.warning("detector tuning of service %s ignored: %s", self.service_id, exc)
            return tuned(None)


Level = levels.Level


class ServiceStatus(models.Model):
    """The detector's latest verdict for a service, written by the per-minute job."""

    service = models.OneToOneField(
        Service, on_delete=models.CASCADE, primary_key=True, related_name="status"
    )
    level = models.PositiveSmallIntegerField(choices=levels.CHOICES, default=Level.OK)
    since = models.DateTimeField(null=True, blank=True, help_text="When this level began.")
    observed = models.PositiveIntegerField(default=0, help_text="Reports in the current bucket.")
    expected = models.FloatField(default=0.0, help_text="Baseline for the current bucket.")
    probability = models.FloatField(
        default=1.0, help_text="Upper-tail probability, current bucket."
    )
    # The level the counts alone give (amber at most), without any incident: what the public
    # sees at once when a moderator withdraws the service's incident.
    quiet_level = models.PositiveSmallIntegerField(choices=levels.CHOICES, default=Level.OK)
    # Closed buckets before this instant have been fed to the incident state machine.
    evaluated_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "service statuses"

    def __str__(self) -> str:
        return f"{self.service}: {self.get_level_display()}"


class GroupIncident(models.Model):
    """Several services of one group in incident at overlapping times (one vendor failing)."""

    group = models.ForeignKey(ServiceGroup, on_delete=models.CASCADE, related_name="incidents")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["group"],
                condition=Q(ended_at__isnull=True),
                name="groupincident_one_open_per_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} since {self.started_at:%Y-%m-%d %H:%M}"


class IncidentQuerySet(models.QuerySet):
    def unresolved(self) -> "IncidentQuerySet":
        return self.exclude(status=Incident.Status.RESOLVED)

    def shown(self) -> "IncidentQuerySet":
        """Not withdrawn: the incidents that the public pages present as incidents."""
        return self.exclude(review=Incident.Review.WITHDRAWN)

    def overlapping(self, start: datetime, end: datetime) -> "IncidentQuerySet":
        """Incidents that were unresolved at some instant of [start, end)."""
        return self.filter(started_at__lt=end).filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=start)
        )

    def started_since(self, since: datetime) -> "IncidentQuerySet":
        """Incidents whose start is at or after `since` (aware)."""
        return self.filter(started_at__gte=since)

    def verdicts_per_service(self) -> models.QuerySet:
        """One dict per service with incidents here: service_id, service__name, service__slug,
        confirmed, false_alarms, not_judged and false_alarm_rate (false alarms / judged, None
        when nothing is judged). Services that cry wolf first: highest rate, then most false
        alarms, then the unjudged (rate None) by how many wait; ties by name. One query."""
        verdict = Incident.Verdict
        return (
            self.values("service_id", "service__name", "service__slug")
            .annotate(
                confirmed=Count("pk", filter=Q(verdict=verdict.CONFIRMED)),
                false_alarms=Count("pk", filter=Q(verdict=verdict.FALSE_ALARM)),
                not_judged=Count("pk", filter=Q(verdict=verdict.NONE)),
            )
            .annotate(
                false_alarm_rate=Cast("false_alarms", FloatField())
                / NullIf(F("confirmed") + F("false_alarms"), 0)
            )
            .order_by(
                F("false_alarm_rate").desc(nulls_last=True),
                "-false_alarms",
                "-not_judged",
                "service__name",
            )
        )


class Incident(models.Model):
    Status = Status  # the detector's own: open, recovering, resolved

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="incidents")
    status = models.CharField(
        max_length=12, choices=[(s.value, s.value) for s in Status], default=Status.OPEN
    )
    started_at = models.DateTimeField(
        help_text="When reports began rising: the first of the unbroken run of elevated "
        "buckets that led to the decision (before the detector knew)."
    )
    detected_at = models.DateTimeField(
        help_text="When the detector decided: the end of the closed bucket, or the minute the "
        "filling bucket was judged."
    )
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="End of the last active bucket."
    )
    last_active_at = models.DateTimeField(
        help_text="Start of the latest bucket above the threshold."
    )
    quiet_buckets = models.PositiveSmallIntegerField(default=0)
    level = models.PositiveSmallIntegerField(choices=levels.CHOICES, default=Level.PROBLEMS)
    # The evidence of the decision (a window of `opened_buckets` buckets), and at its peak.
    opened_reports = models.PositiveIntegerField()
    opened_expected = models.FloatField()
    opened_probability = models.FloatField(default=1.0)
    opened_buckets = models.PositiveSmallIntegerField(default=1)
    peak_at = models.DateTimeField()
    peak_reports = models.PositiveIntegerField()
    peak_expected = models.FloatField()
    peak_probability = models.FloatField(default=1.0)
    # [{"country": "US", "excess": 123.0, "share": 0.8}, …]: where most excess reports come from.
    countries = models.JSONField(default=list, blank=True)
    group_incident = models.ForeignKey(
        GroupIncident, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )

    class Review(models.TextChoices):
        NONE = "", "not needed"
        HELD = "held", "held for review"
        CLEARED = "cleared", "cleared by a moderator"
        WITHDRAWN = "withdrawn", "withdrawn"

    # An incident whose reports come mostly from one network or from scripts is held: the public
    # status shows at most "possible problems" until a moderator clears it (or quarantines them).
    # A withdrawn incident (a moderator's false alarm, or its reports quarantined) gives its
    # service no level at all: the public sees what the counts alone say.
    review = models.CharField(max_length=12, choices=Review.choices, blank=True, default="")
    review_reason = models.CharField(max_length=200, blank=True)

    class Verdict(models.TextChoices):
        NONE = "", "not judged"
        CONFIRMED = "confirmed", "confirmed outage"
        FALSE_ALARM = "false_alarm", "false alarm"

    # A moderator's judgement. False alarms stay (the detector's statistics need them) and, like
    # every incident, their buckets are left out of baselines.
    verdict = models.CharField(max_length=12, choices=Verdict.choices, blank=True, default="")
    # Set when a quarantine took away the reports that opened it: it is held while the quarantine
    # lasts, and its review as it was comes back on release.
    withdrawn_by = models.ForeignKey(
        "reports.Quarantine",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="withdrawn_incidents",
    )
    review_before = models.CharField(max_length=12, blank=True, default="")
    review_reason_before = models.CharField(max_length=200, blank=True, default="")

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # At most one unresolved incident per service: opening one is claimed by this.
            models.UniqueConstraint(
                fields=["service"],
                condition=~Q(status="resolved"),
                name="incident_one_unresolved_per_service",
            ),
        ]
        indexes = [
            # Incident lists by service, newest first.
            models.Index(fields=["service", "-started_at"], name="incident_service_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service} since {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def opened_ratio(self) -> float:
        return levels.ratio(self.opened_reports, self.opened_expected, self.opened_buckets)

    @property
    def peak_ratio(self) -> float:
        return levels.ratio(self.peak_reports, self.peak_expected)

    @property
    def opened_minutes(self) -> int:
        """The deciding window's length in minutes."""
        return self.opened_buckets * int(settings.TREMOR["BUCKET_MINUTES"])


class OfficialUpdate(models.Model):
    """What the vendor says (status page, social account), shown next to the user reports."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="official_updates")
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="updates"
    )
    posted_at = models.DateTimeField(help_text="When the vendor posted it (UTC).")
    text = models.TextField(max_length=2000)
    source_url = models.URLField(help_text="Where it was posted.")

    class Meta:
        ordering = ["-posted_at"]

    def __str__(self) -> str:
        return f"{self.service} {self.posted_at:%Y-%m-%d %H:%M}: {self.text[:50]}"


class MaintenanceWindow(models.Model):
    """Scheduled work on a service: its pages say so, and with `suppress` an incident opening
    during it is held for review instead of shown as an outage."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="maintenance")
    start = models.DateTimeField()
    end = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    suppress = models.BooleanField(default=False, help_text="Hold incidents that open during it.")

    class Meta:
        ordering = ["-start"]

    def __str__(self) -> str:
        return f"{self.service} {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if self.start and self.end and self.start >= self.end:
            raise ValidationError({"end": "The end must be after the start."})


class ImportedHistory(models.Model):
    """A span of a service's buckets written by `import_history` from counts of elsewhere: no
    raw reports stand behind them, so no recount may touch them (analytics.binning)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()  # the first bucket's start
    end = models.DateTimeField()  # the last bucket's end
    source = models.CharField(max_length=300, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service", "start"]
        verbose_name_plural = "imported history"

    def __str__(self) -> str:
        return f"{self.service} {self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M}"
