import json

import pytest
from django.core.management import CommandError, call_command

from reports.models import Category, ProblemType, Service, ServiceGroup


def test_the_shipped_catalogue_has_enough_real_services_groups_and_categories(catalog):
    assert Service.objects.count() >= 60
    assert ServiceGroup.objects.count() >= 8
    assert Category.objects.count() >= 6
    assert set(
        Service.objects.filter(group__slug="microsoft-365").values_list("slug", flat=True)
    ) >= {"outlook", "microsoft-teams", "onedrive", "microsoft-defender", "microsoft-purview"}
    email = ProblemType.objects.filter(category__slug="email").values_list("slug", flat=True)
    assert set(email) == {"login", "sending", "receiving", "website", "app"}


def test_loading_the_catalogue_twice_changes_nothing(catalog, capsys, django_assert_num_queries):
    before = [
        list(m.objects.order_by("pk").values())
        for m in (Category, ProblemType, ServiceGroup, Service)
    ]
    call_command("load_catalog")
    after = [
        list(m.objects.order_by("pk").values())
        for m in (Category, ProblemType, ServiceGroup, Service)
    ]
    assert before == after
    assert "0 created, 0 updated" in capsys.readouterr().out


def test_a_changed_entry_is_updated_in_place(catalog, tmp_path):
    from reports.catalog import DEFAULT_CATALOG

    data = json.loads(DEFAULT_CATALOG.read_text())
    data["services"][0]["aliases"] = ["renamed alias"]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data))
    pk = Service.objects.get(slug=data["services"][0]["slug"]).pk
    call_command("load_catalog", str(path))
    service = Service.objects.get(slug=data["services"][0]["slug"])
    assert service.pk == pk and service.aliases == ["renamed alias"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('{"categories": []}', "expected an object with lists"),
        (
            '{"categories": [], "groups": [], "services": [{"slug": "x", "name": "X", "category": "nope"}]}',
            "unknown category",
        ),
    ],
)
def test_a_bad_catalogue_file_fails_with_one_clear_line_and_writes_nothing(
    db, tmp_path, content, message
):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("load_catalog", str(path))
    assert Service.objects.count() == 0


def test_a_missing_catalogue_file_is_a_command_error(db, tmp_path):
    with pytest.raises(CommandError, match="not found"):
        call_command("load_catalog", str(tmp_path / "missing.json"))
