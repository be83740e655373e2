"""Bursts for the report explorer: identities that sent far more reports than a person would."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils.http import urlencode

from reports.models import Report


@dataclass(frozen=True)
class Burst:
    kind: str  # "reporter", "network" or "browser"
    field: str  # the Report field to filter on
    value: str
    service: str
    service_id: int
    reports: int
    counted: int
    first: datetime
    last: datetime

    def quarantine_query(self) -> str:
        """The quarantine form's fields for exactly this burst's reports, as a query string."""
        return urlencode(
            {
                "service": str(self.service_id),
                "start": self.first.isoformat(),
                "end": (self.last + timedelta(seconds=1)).isoformat(),
                self.field: self.value,
                "reason": f"a burst of {self.reports} reports from one {self.kind}",
            }
        )


KINDS = [("reporter", "reporter_key"), ("network", "network_key"), ("browser", "ua_family")]


def find_bursts(start: datetime, end: datetime) -> list[Burst]:
    """Per service, the identities over their threshold in [start, end), largest first.

    A person reports a service once or twice; dozens of presses from one reporter key, hundreds
    from one network, or one odd browser family carrying most of a service's reports are not.
    Simulated reports are left out.
    """
    thresholds = cast(dict[str, int], settings.TREMOR["BURST_THRESHOLDS"])
    bursts = []
    window = Report.objects.in_window(start, end).filter(is_simulated=False)
    for kind, field in KINDS:
        rows = (
            window.exclude(**{field: ""})
            .values("service_id", "service__name", field)
            .annotate(
                reports=Count("id"),
                counted=Count("id", filter=Q(is_counted=True)),
                first=Min("created_at"),
                last=Max("created_at"),
            )
        )
        for row in rows.filter(reports__gte=thresholds[kind]).order_by("-reports")[:50]:
            bursts.append(
                Burst(
                    kind,
                    field,
                    row[field],
                    row["service__name"],
                    row["service_id"],
                    row["reports"],
                    row["counted"],
                    row["first"],
                    row["last"],
                )
            )
    return sorted(bursts, key=lambda b: -b.reports)
