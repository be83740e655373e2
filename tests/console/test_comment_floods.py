"""A flood's comments cannot stick: a quarantine hides (or holds) the comments of the reports it
sets aside, a held incident's dominant networks wait for review, and the queue lists what
waits first, filterable by network and by why it waits."""

from datetime import timedelta

from analytics import pipeline
from analytics.models import Baseline, Incident
from console.quarantine import apply_quarantine
from reports.models import AuditEntry, Comment, Quarantine, Report
from tests.factories import NOON, make_report


def flood_with_comments(service, from_network: int = 30) -> None:
    """40 reporters with a comment each, `from_network` of them from one network."""
    for i in range(40):
        make_report(service, at=NOON + timedelta(minutes=1), key=f"{i:032x}", comment=f"down {i}")
    for i, report in enumerate(Report.objects.order_by("reporter_key")):
        report.network_key = "n" * 32 if i < from_network else f"{i:032x}"
        report.save(update_fields=["network_key"])


def shown(service) -> set[str]:
    return set(
        Comment.objects.filter(service=service, status="visible").values_list("body", flat=True)
    )


def test_a_quarantine_hides_the_comments_of_the_reports_it_sets_aside(outlook):
    flood_with_comments(outlook)
    quarantine = Quarantine(
        service=outlook, start=NOON, end=NOON + timedelta(minutes=5), network_key="n" * 32,
        reason="one network",
    )  # fmt: skip
    apply_quarantine(quarantine, None, recount=True)
    assert shown(outlook) == {f"down {i}" for i in range(30, 40)}
    assert Comment.objects.filter(status="hidden").count() == 30
    assert "30 comments hidden" in AuditEntry.objects.get(action="quarantine").detail


def test_a_quarantine_can_hold_them_for_review_instead(outlook):
    flood_with_comments(outlook)
    quarantine = Quarantine(
        service=outlook, start=NOON, end=NOON + timedelta(minutes=5), network_key="n" * 32,
        reason="one network", comments=Quarantine.Comments.HOLD,
    )  # fmt: skip
    apply_quarantine(quarantine, None, recount=True)
    held = Comment.objects.filter(status="pending")
    assert held.count() == 30
    assert {c.held_because for c in held} == {
        f"its report was set aside by quarantine {quarantine.pk}"
    }


def test_the_comments_of_a_held_incidents_network_wait_for_review(client, outlook, frozen_now):
    Baseline.objects.create(service=outlook, expected=[3.0] * 2016, updated_at=NOON)
    pipeline.refresh_analytics(NOON - timedelta(minutes=1))
    flood_with_comments(outlook)
    assert len(shown(outlook)) == 40
    pipeline.refresh_analytics(NOON + timedelta(minutes=2))
    assert Incident.objects.get().review == "held"
    assert shown(outlook) == {f"down {i}" for i in range(30, 40)}  # the other networks' stay
    page = client.get("/services/outlook/").content.decode()
    assert "down 0<" not in page and "down 35" in page


def test_comments_of_an_incident_that_is_not_held_stay_shown(outlook, frozen_now):
    Baseline.objects.create(service=outlook, expected=[3.0] * 2016, updated_at=NOON)
    pipeline.refresh_analytics(NOON - timedelta(minutes=1))
    flood_with_comments(outlook, from_network=15)
    pipeline.refresh_analytics(NOON + timedelta(minutes=2))
    assert Incident.objects.get().review == ""
    assert len(shown(outlook)) == 40


def test_the_queue_lists_pending_first_and_filters_by_network_and_reason(moderator, outlook):
    flood_with_comments(outlook)
    older = Comment.objects.order_by("created_at", "pk").first()
    Comment.objects.filter(pk=older.pk).update(
        status="pending", held_because="contains a link", created_at=NOON - timedelta(hours=1)
    )
    listed = moderator.get("/admin/reports/comment/").context["cl"].result_list
    assert listed[0].pk == older.pk and all(c.status == "visible" for c in listed[1:])
    by_reason = moderator.get("/admin/reports/comment/?held=link").context["cl"].result_list
    assert [c.pk for c in by_reason] == [older.pk]
    network = moderator.get(f"/admin/reports/comment/?report__network_key={'n' * 32}")
    assert len(network.context["cl"].result_list) == 30
    assert f"?report__network_key={'n' * 32}" in network.content.decode()
