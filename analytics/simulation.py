"""Writing simulated traffic into the reports table (the ORM glue around analytics.scenarios)."""

import uuid
from datetime import datetime

from django.db import connection
from django.db.models import Max

from analytics.scenarios import (
    CLOUD_SUITE_MULTIPLIERS,
    Outage,
    ServiceProfile,
    SimulatedReport,
    profiles_for,
)
from reports.models import ProblemType, Report, Service


def service_profiles(
    seed: int,
) -> tuple[list[ServiceProfile], dict[str, list[int]], dict[str, int]]:
    """Profiles for every active service, with problem-type ids in button order and service ids."""
    services = list(Service.objects.active().order_by("slug").values_list("pk", "slug", "category"))
    problems: dict[int, list[int]] = {}
    for pk, category in ProblemType.objects.order_by("position", "name").values_list(
        "pk", "category"
    ):
        problems.setdefault(category, []).append(pk)
    problem_ids = {slug: problems.get(category, []) for _, slug, category in services}
    usable = [(slug, len(problem_ids[slug])) for _, slug, _ in services if problem_ids[slug]]
    return profiles_for(usable, seed), problem_ids, {slug: pk for pk, slug, _ in services}


def outage_for_group(group_slug: str, start: datetime) -> Outage:
    """The demo outage: the cloud-suite pattern for Microsoft 365, a similar shape for any group."""
    slugs = list(
        Service.objects.active()
        .filter(group__slug=group_slug)
        .order_by("pk")
        .values_list("slug", flat=True)
    )
    if not slugs:
        raise ValueError(f"no active services in group {group_slug!r}")
    if group_slug == "microsoft-365":
        multipliers = {s: CLOUD_SUITE_MULTIPLIERS.get(s, 4.0) for s in slugs}
    else:
        multipliers = {s: (30.0 if i == 0 else 10.0) for i, s in enumerate(slugs)}
    return Outage(start=start, multipliers=multipliers)


def last_simulated_at() -> datetime | None:
    return Report.objects.filter(is_simulated=True).aggregate(last=Max("created_at"))["last"]


def insert_simulated(
    reports: list[SimulatedReport],
    problem_ids: dict[str, list[int]],
    service_ids: dict[str, int],
) -> int:
    """COPY the reports in as counted, simulated rows from distinct made-up reporters."""
    columns = (
        "service_id, problem_id, created_at, reporter_key, ua_family, country, region, "
        "is_counted, not_counted_reason, is_simulated"
    )
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper: COPY is far faster
        with raw.copy(f"COPY reports_report ({columns}) FROM STDIN") as copy:
            for r in reports:
                copy.write_row(
                    (
                        service_ids[r.slug],
                        problem_ids[r.slug][r.problem_index],
                        r.created_at,
                        uuid.uuid4().hex,
                        "Simulated",
                        r.country,
                        "",
                        True,
                        "",
                        True,
                    )
                )
    return len(reports)
