from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from analytics import baselines, pipeline
from reports.models import Comment
from tests.factories import make_report, make_reports


@pytest.fixture
def operator_client(client, db):
    user = User.objects.create_superuser("operator", "op@example.org", "a-long-passphrase-1")
    client.force_login(user)
    return client


def test_every_registered_model_has_a_working_list_with_data(operator_client, outlook):
    now = timezone.now()
    make_reports(outlook, 30, at=now)
    make_report(outlook, at=now, key="c" * 32, comment="broken")
    pipeline.refresh_analytics(now)
    baselines.rebuild_baselines(now)
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = operator_client.get(url)
        assert response.status_code == 200, url
        if model_admin.search_fields:
            assert operator_client.get(url, {"q": "outlook"}).status_code == 200, url


def test_reports_cannot_be_edited_or_added_by_hand(operator_client, outlook):
    report = make_report(outlook, at=timezone.now())
    response = operator_client.post(
        reverse("admin:reports_report_change", args=[report.pk]), {"country": "FR"}
    )
    assert response.status_code == 403
    assert operator_client.get(reverse("admin:reports_report_add")).status_code == 403


def test_hiding_comments_removes_them_from_the_service_page(operator_client, client, outlook):
    make_report(outlook, at=timezone.now() - timedelta(minutes=1), comment="spam spam")
    comment = Comment.objects.get()
    operator_client.post(
        reverse("admin:reports_comment_changelist"),
        {"action": "hide", "_selected_action": [comment.pk]},
    )
    assert Comment.objects.get().status == "hidden"
    assert "spam spam" not in operator_client.get("/services/outlook/").content.decode()
