"""What moderators' verdicts say about the detector, per service: the console's verdicts pages.

A service whose judged incidents are mostly false alarms is one to tune (DetectorTuning), and
the commands here replay its own history with the tuning it has now, to see what would change.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from analytics.models import DetectorTuning, Incident
from reports.models import Service

VERDICT_WINDOW = timedelta(days=90)
HISTORY_DAYS = 28  # what export_history writes for a backtest (its default)


@dataclass(frozen=True)
class VerdictCounts:
    confirmed: int
    false_alarms: int
    not_judged: int

    @property
    def judged(self) -> int:
        return self.confirmed + self.false_alarms

    @property
    def false_alarm_rate(self) -> float | None:
        """False alarms over judged incidents; None when nothing is judged."""
        return self.false_alarms / self.judged if self.judged else None

    @property
    def rate_label(self) -> str:
        """ "75 % (3 of 4 judged)", or "—" when nothing is judged."""
        if self.false_alarm_rate is None:
            return "—"
        return (
            f"{round(self.false_alarm_rate * 100)} % ({self.false_alarms} of {self.judged} judged)"
        )


@dataclass(frozen=True)
class ServiceVerdicts:
    service_id: int
    name: str
    slug: str
    counts: VerdictCounts


def verdicts_per_service(since: datetime) -> list[ServiceVerdicts]:
    """Every service with an incident started at or after `since` (aware), the services that cry
    wolf first (IncidentQuerySet.verdicts_per_service). One query."""
    return [
        ServiceVerdicts(
            service_id=row["service_id"],
            name=row["service__name"],
            slug=row["service__slug"],
            counts=VerdictCounts(
                confirmed=row["confirmed"],
                false_alarms=row["false_alarms"],
                not_judged=row["not_judged"],
            ),
        )
        for row in Incident.objects.started_since(since).verdicts_per_service()
    ]


@dataclass(frozen=True)
class VerdictGroup:
    label: str  # "false alarm", "confirmed outage", "not judged"
    incidents: list[Incident]


@dataclass(frozen=True)
class ShellCommand:
    line: str
    why: str


@dataclass(frozen=True)
class ServiceVerdictReport:
    service: Service
    counts: VerdictCounts
    groups: list[VerdictGroup]  # false alarms, confirmed, not judged; each newest first
    tuning: DetectorTuning | None
    tuning_json: str  # its overrides as an operator would type them, or ""
    tuning_error: str  # why the stored tuning no longer validates, or ""
    commands: list[ShellCommand]


def backtest_commands(slug: str) -> list[ShellCommand]:
    """What an operator runs to see what the service's current tuning would have done on its own
    history. Slugs are [-a-zA-Z0-9_]+, so nothing here needs quoting."""
    csv = f"{slug}.csv"
    return [
        ShellCommand(
            f"python manage.py export_history {slug} --days {HISTORY_DAYS} -o {csv}",
            f"the service's counts of the last {HISTORY_DAYS} days, one row per bucket",
        ),
        ShellCommand(
            f"python manage.py backtest {csv} --tuning-of {slug}",
            "what the detector, tuned as the service is now, would have opened",
        ),
        ShellCommand(f"python manage.py backtest {csv}", "the same with the shipped defaults"),
        ShellCommand(
            f"python manage.py backtest {csv} --tuning-of {slug} --set NAME=VALUE",
            "a change tried on top of the current tuning (repeat --set for more)",
        ),
    ]


def service_verdict_report(service: Service, since: datetime) -> ServiceVerdictReport:
    """The service's incidents started at or after `since` (aware), grouped by verdict, with its
    tuning and the backtest commands. Two queries."""
    incidents = list(service.incidents.started_since(since).order_by("-started_at"))
    by_verdict: dict[Incident.Verdict, list[Incident]] = {v: [] for v in Incident.Verdict}
    for incident in incidents:
        by_verdict[Incident.Verdict(incident.verdict)].append(incident)
    tuning = DetectorTuning.objects.filter(service=service).first()
    tuning_error = ""
    if tuning is not None:
        try:
            tuning.settings()
        except ValueError as exc:
            tuning_error = str(exc)
    order = [Incident.Verdict.FALSE_ALARM, Incident.Verdict.CONFIRMED, Incident.Verdict.NONE]
    return ServiceVerdictReport(
        service=service,
        counts=VerdictCounts(
            confirmed=len(by_verdict[Incident.Verdict.CONFIRMED]),
            false_alarms=len(by_verdict[Incident.Verdict.FALSE_ALARM]),
            not_judged=len(by_verdict[Incident.Verdict.NONE]),
        ),
        groups=[VerdictGroup(str(v.label), by_verdict[v]) for v in order],
        tuning=tuning,
        tuning_json=json.dumps(tuning.overrides) if tuning else "",
        tuning_error=tuning_error,
        commands=backtest_commands(service.slug),
    )
