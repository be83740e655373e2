"""The input side: the catalogue (groups, categories, problem types, services) and reports."""

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, CharField, F, Func, IntegerField, Q, Value, When
from django.db.models.functions import Greatest


class ServiceGroup(models.Model):
    """A vendor or platform whose services tend to fail together (Microsoft 365, Google Workspace)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A kind of service (e-mail, ISP, social network); problem types belong to a category."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class ProblemType(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="problem_types")
    slug = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order of the report buttons.")

    class Meta:
        ordering = ["category", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "slug"], name="problemtype_unique_per_category"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category.name}: {self.name}"


# pg_trgm's own default threshold: "gmial" is 0.33 from Gmail by word similarity, while the
# next-closest name in the catalogue (GitLab) is 0.17.
SIMILAR_ENOUGH = 0.3


class ServiceQuerySet(models.QuerySet):
    def active(self) -> "ServiceQuerySet":
        return self.filter(is_active=True)

    def search(self, text: str) -> "ServiceQuerySet":
        """Services whose name, slug or an alias contains `text` (any case): the exact name
        first, then names starting with it, then the others, each alphabetically. When none
        does, those whose name or an alias is close to it in trigrams ("gmial" finds Gmail),
        closest first: only then, because closeness alone also finds Steam for "teams"."""
        text = text.strip()
        aliases = Func(
            F("aliases"), Value(" "), function="array_to_string", output_field=CharField()
        )
        with_aliases = self.annotate(alias_text=aliases)
        containing = with_aliases.filter(
            Q(name__icontains=text) | Q(slug__icontains=text) | Q(alias_text__icontains=text)
        )
        if containing.exists():
            return containing.annotate(
                rank=Case(
                    When(name__iexact=text, then=Value(0)),
                    When(name__istartswith=text, then=Value(1)),
                    default=Value(2),
                    output_field=IntegerField(),
                )
            ).order_by("rank", "name")
        return (
            with_aliases.annotate(
                closeness=Greatest(
                    TrigramSimilarity("name", text),
                    TrigramWordSimilarity(text, "name"),
                    TrigramWordSimilarity(text, "alias_text"),
                )
            )
            .filter(closeness__gte=SIMILAR_ENOUGH)
            .order_by("-closeness", "name")
        )


class Service(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    group = models.ForeignKey(
        ServiceGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="services")
    homepage_url = models.URLField(blank=True)
    aliases = ArrayField(
        models.CharField(max_length=100),
        default=list,
        blank=True,
        help_text="Other names for search.",
    )
    is_active = models.BooleanField(default=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReportQuerySet(models.QuerySet):
    def counted(self) -> "ReportQuerySet":
        return self.filter(is_counted=True)

    def in_window(self, start: datetime, end: datetime) -> "ReportQuerySet":
        """Reports with start <= created_at < end (aware datetimes)."""
        return self.filter(created_at__gte=start, created_at__lt=end)


class Report(models.Model):
    """One press of "I have a problem". Append-only; only counted rows reach the buckets.

    The table is partitioned by day in PostgreSQL (reports.partitions; migration 0009): its
    primary key there is (id, created_at), and an index added later cannot be built
    concurrently on the parent."""

    class NotCountedReason(models.TextChoices):
        COUNTED = "", "counted"
        DUPLICATE = "duplicate", "already counted for this reporter within the window"
        HONEYPOT = "honeypot", "the form's hidden trap field was filled in (a bot)"
        ABUSE = "abuse", "quarantined by a moderator as abuse"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="reports")
    problem = models.ForeignKey(ProblemType, on_delete=models.PROTECT, related_name="reports")
    created_at = models.DateTimeField()
    # HMAC of client address + browser family under a daily secret: never the address itself.
    reporter_key = models.CharField(max_length=32)
    # The same kind of daily HMAC for the reporter's network (/24 or /48): bursts from one
    # network show up in the explorer, and can be quarantined, without storing the network.
    network_key = models.CharField(max_length=32, blank=True, default="", db_default="")
    ua_family = models.CharField(max_length=40, blank=True)
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166-1 alpha-2; blank = unknown."
    )
    region = models.CharField(max_length=100, blank=True)
    is_counted = models.BooleanField()
    not_counted_reason = models.CharField(
        max_length=20, choices=NotCountedReason.choices, blank=True, default=""
    )
    is_simulated = models.BooleanField(default=False)
    # Seconds between the page showing the form and the report arriving (the form only; null
    # from the API): people read first, scripts post at once.
    seconds_to_submit = models.PositiveIntegerField(null=True, blank=True)
    quarantine = models.ForeignKey(
        "Quarantine", null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        indexes = [
            # Binning recounts a short recent window of time for all services.
            models.Index(fields=["created_at"], name="report_created_idx"),
            # De-duplication: "has this reporter a counted report for this service since t?"
            models.Index(
                fields=["service", "reporter_key", "created_at"],
                name="report_dedupe_idx",
                condition=Q(is_counted=True),
            ),
            # One service's counted reports over a window: the concentration check's join
            # (analytics.concentration, every minute for each young incident); without it
            # PostgreSQL reads every report the service has kept.
            models.Index(
                fields=["service", "created_at"],
                name="report_service_counted_idx",
                condition=Q(is_counted=True),
            ),
            # The report explorer: one network's reports over time.
            models.Index(fields=["network_key", "created_at"], name="report_network_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_counted=True, not_counted_reason="")
                | Q(is_counted=False) & ~Q(not_counted_reason=""),
                name="report_reason_iff_not_counted",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} / {self.problem.name} at {self.created_at:%Y-%m-%d %H:%M}"


class Comment(models.Model):
    """The optional text sent with a report, shown on the service page when visible.

    New comments are visible at once unless they are held for review (pending): their text
    matches the blocklist, or their reporter already had a comment hidden or marked as spam.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending review"
        VISIBLE = "visible", "visible"
        HIDDEN = "hidden", "hidden"
        SPAM = "spam", "spam"

    # No foreign key in the database: reports are partitioned by day, and a key into them would
    # have to carry created_at. Django still deletes a report's comment with it; dropping a
    # day's partition deletes them in reports.partitions.
    report = models.OneToOneField(
        Report, on_delete=models.CASCADE, related_name="comment", db_constraint=False
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="comments")
    created_at = models.DateTimeField()
    body = models.TextField(max_length=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VISIBLE)
    held_because = models.CharField(
        max_length=200, blank=True, help_text="Why it waits for review."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The service page: latest visible comments of one service.
            models.Index(fields=["service", "-created_at"], name="comment_service_recent_idx"),
        ]

    def __str__(self) -> str:
        return self.body[:60]


class BlockedPattern(models.Model):
    """A word or regular expression that holds a comment for review (moderators edit the list)."""

    class Kind(models.TextChoices):
        WORD = "word", "word or phrase (any case)"
        REGEX = "regex", "regular expression"

    pattern = models.CharField(max_length=200)
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.WORD)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pattern"]
        constraints = [
            models.UniqueConstraint(fields=["pattern", "kind"], name="blockedpattern_unique")
        ]

    def __str__(self) -> str:
        return self.pattern

    def compiled(self) -> re.Pattern:
        """The rule as a case-insensitive regular expression: a regex as written, a word or
        phrase matched whole (not inside a longer word). Raises re.error on a bad regex."""
        if self.kind == self.Kind.REGEX:
            return re.compile(self.pattern, re.I)
        return re.compile(r"(?<!\w)" + re.escape(self.pattern.strip()) + r"(?!\w)", re.I)

    def clean(self) -> None:
        try:
            self.compiled()
        except re.error as exc:
            raise ValidationError({"pattern": f"not a valid regular expression: {exc}"}) from exc


class QuarantineQuerySet(models.QuerySet):
    def removed_as_abuse(
        self, service_id: int, start: datetime, end: datetime
    ) -> tuple[int, datetime | None, datetime | None]:
        """The quarantines in force that overlap [start, end) for a service: how many reports
        they set aside, from the first one's start to the last one's end (a quarantine reaching
        outside the window is counted whole, so the page names the span it covers). Pages read
        this, never a scan of the reports."""
        found = self.filter(
            service_id=service_id, released_at__isnull=True, start__lt=end, end__gt=start
        ).aggregate(
            total=models.Sum("reports_count"), first=models.Min("start"), last=models.Max("end")
        )
        return found["total"] or 0, found["first"], found["last"]


class Quarantine(models.Model):
    """Reports a moderator set aside as abuse: they stop counting until it is released.

    Only reports that counted are taken, and releasing counts exactly those again, so a
    quarantine and its release leave every bucket as it was.
    """

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="quarantines")
    start = models.DateTimeField(help_text="From (UTC).")
    end = models.DateTimeField(help_text="Until (UTC, excluded).")
    reporter_key = models.CharField(max_length=32, blank=True)
    network_key = models.CharField(max_length=32, blank=True)
    ua_family = models.CharField(max_length=40, blank=True, help_text="Browser family.")
    reason = models.TextField(help_text="What the moderator saw (kept in the audit log).")

    class Comments(models.TextChoices):
        HIDE = "hide", "hide them"
        HOLD = "hold", "hold them for review"

    # What becomes of the comments sent with the reports it sets aside: a flood's comments are
    # part of the flood. A release leaves them as they are (a moderator shows them by hand).
    comments = models.CharField(
        max_length=4,
        choices=Comments.choices,
        default=Comments.HIDE,
        help_text="The comments sent with these reports.",
    )
    reports_count = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True, editable=False)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = QuarantineQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.service}: {self.reports_count} reports, {self.start:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.start and self.end and self.start >= self.end:
            raise ValidationError({"end": "The end must be after the start."})
        if self.start and self.end and self.end - self.start > timedelta(days=7):
            raise ValidationError({"end": "A quarantine covers at most 7 days."})
        if not (self.reporter_key or self.network_key or self.ua_family):
            raise ValidationError(
                "Name at least one of reporter key, network key or browser family: a whole "
                "service's reports are never set aside at once."
            )


class AuditEntry(models.Model):
    """Who did what to reports or comments, when, and to how many rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    detail = models.TextField()
    rows = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user}: {self.action} ({self.rows})"


class PruneMark(models.Model):
    """Raw reports created before `before` were deleted (retention): counts of that time exist
    only as buckets, which no recount may touch. One row, moved forward by each prune."""

    before = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"reports before {self.before:%Y-%m-%d %H:%M} UTC pruned"

    @classmethod
    def pruned_before(cls) -> datetime | None:
        return cls.objects.filter(pk=1).values_list("before", flat=True).first()

    @classmethod
    def advance(cls, before: datetime) -> None:
        mark, created = cls.objects.get_or_create(pk=1, defaults={"before": before})
        if not created and before > mark.before:
            mark.before = before
            mark.save(update_fields=["before", "updated_at"])
