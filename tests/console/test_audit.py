"""An audit with no gaps: every change form, inline and deletion in the console leaves an entry
with who, what, when and the row ids; reports cannot be deleted by hand; a verdict given on the
change form counts like one given by an action."""

from datetime import timedelta

from analytics.models import DetectorTuning, Incident, ServiceStatus
from reports.models import AuditEntry, Category, Comment, Report, Service
from tests.factories import NOON, make_report


def change_form_data(client, url: str, **changes) -> dict:
    """The values a change form shows, with `changes` applied (as a browser would post it)."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            value = [getattr(v, "pk", v) for v in value]
            if name == "aliases":
                value = ",".join(value)
        data[name] = getattr(value, "pk", value)
    return {**data, **changes}


def test_a_verdict_on_the_change_form_is_audited_and_withdraws_an_open_incident(
    moderator, fake_outage, outlook
):
    url = f"/admin/analytics/incident/{fake_outage.pk}/change/"
    response = moderator.post(url, {"verdict": "false_alarm"})
    assert response.status_code == 302, response.content
    incident = Incident.objects.get()
    assert incident.verdict == "false_alarm" and incident.review == "withdrawn"
    assert ServiceStatus.objects.get(service=outlook).level < 2  # off the public pages now
    entries = {e.action: e for e in AuditEntry.objects.all()}
    change = entries["change incident"]
    assert change.user.username == "mo" and change.rows == 1
    assert change.detail.startswith(f"incident {incident.pk} ") and "verdict:" in change.detail
    assert "→ false_alarm" in change.detail
    assert "withdraw incident" in entries


def test_catalogue_edits_record_the_old_and_the_new_value(administrator, outlook):
    url = f"/admin/reports/service/{outlook.pk}/change/"
    data = change_form_data(administrator, url, name="Outlook Mail")
    response = administrator.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action="change service")
    assert entry.detail == f"service {outlook.pk} (Outlook Mail): name: Outlook → Outlook Mail"
    assert entry.user.username == "ad"


def test_an_inline_problem_type_added_to_a_category_is_audited(administrator, outlook):
    category = outlook.category
    url = f"/admin/reports/category/{category.pk}/change/"
    response = administrator.get(url)
    formset = response.context["inline_admin_formsets"][0].formset
    data = change_form_data(administrator, url)
    prefix = formset.prefix
    existing = list(category.problem_types.order_by("pk"))
    data |= {
        f"{prefix}-TOTAL_FORMS": len(existing) + 1,
        f"{prefix}-INITIAL_FORMS": len(existing),
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for i, problem in enumerate(existing):
        for name in formset.forms[i].fields:
            value = formset.forms[i].initial.get(name)
            if value is not None:
                data[f"{prefix}-{i}-{name}"] = getattr(value, "pk", value)
        data[f"{prefix}-{i}-id"] = problem.pk
        data[f"{prefix}-{i}-category"] = category.pk
    new = len(existing)
    data |= {f"{prefix}-{new}-name": "Calendar sync", f"{prefix}-{new}-slug": "calendar-sync"}
    data[f"{prefix}-{new}-position"] = 99
    data[f"{prefix}-{new}-category"] = category.pk
    response = administrator.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    entry = AuditEntry.objects.get(action="add problem type")
    added = category.problem_types.get(slug="calendar-sync")
    assert entry.detail == f"problem type {added.pk} ({added})"


def test_tuning_edits_are_audited(administrator, outlook):
    response = administrator.post(
        "/admin/analytics/detectortuning/add/",
        {
            "service": outlook.pk,
            "overrides": '{"open_min_reports": 12}',
            "reason": "a noisy service",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    tuning = DetectorTuning.objects.get(service=outlook)
    entry = AuditEntry.objects.get(action="add detector tuning")
    assert entry.detail.startswith(f"detector tuning {tuning.pk} ")
    assert (
        "'open_min_reports': 12" in entry.detail
        and "reason: None → a noisy service" in entry.detail
    )


def test_a_deleted_comment_leaves_its_id_and_not_its_text(administrator, outlook):
    report = make_report(outlook, at=NOON, comment="my phone number is 555 0100")
    comment = Comment.objects.get(report=report)
    url = f"/admin/reports/comment/{comment.pk}/delete/"
    assert administrator.post(url, {"post": "yes"}).status_code == 302
    assert not Comment.objects.exists()
    entry = AuditEntry.objects.get(action="delete comment")
    assert entry.detail == f"comment {comment.pk}" and "555" not in entry.detail


def test_bulk_deletions_are_audited_with_their_ids(administrator, outlook):
    services = [
        Service.objects.create(name=f"Spare {i}", slug=f"spare-{i}", category=outlook.category)
        for i in range(2)
    ]
    ids = [s.pk for s in services]
    response = administrator.post(
        "/admin/reports/service/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="delete services")
    assert entry.rows == 2 and entry.detail == f"services {ids[0]}, {ids[1]}"


def test_reports_cannot_be_deleted_by_hand_and_the_list_says_why(administrator, outlook):
    report = make_report(outlook, at=NOON - timedelta(minutes=5))
    assert administrator.get(f"/admin/reports/report/{report.pk}/delete/").status_code == 403
    page = administrator.get("/admin/reports/report/")
    assert "delete_selected" not in page.content.decode()
    assert "they cannot be edited or deleted here" in page.content.decode()
    assert "after 90 days" in page.content.decode()
    assert Report.objects.filter(pk=report.pk).exists()


def test_a_category_without_changes_writes_nothing(administrator, outlook):
    category = Category.objects.get(pk=outlook.category_id)
    url = f"/admin/reports/category/{category.pk}/change/"
    formset = administrator.get(url).context["inline_admin_formsets"][0].formset
    data = change_form_data(administrator, url)
    data |= {f"{formset.prefix}-TOTAL_FORMS": 0, f"{formset.prefix}-INITIAL_FORMS": 0}
    administrator.post(url, data)
    assert not AuditEntry.objects.exists()
