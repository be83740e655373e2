import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth.models import User
from django.core.cache import cache

from reports.models import Service


def test_a_moderator_moderates_comments_and_incidents(moderator):
    assert moderator.get("/admin/reports/comment/").status_code == 200
    assert moderator.get("/admin/reports/report/").status_code == 200
    assert moderator.get("/admin/analytics/incident/").status_code == 200
    assert moderator.get("/admin/reports/service/").status_code == 200  # may read the catalogue


def test_a_moderator_cannot_edit_the_catalogue_or_users(moderator):
    outlook = Service.objects.get(slug="outlook")
    assert moderator.get("/admin/reports/service/add/").status_code == 403
    response = moderator.post(
        f"/admin/reports/service/{outlook.pk}/change/", {"name": "Hacked", "slug": "outlook"}
    )
    assert response.status_code == 403
    assert Service.objects.get(pk=outlook.pk).name == "Outlook"
    assert moderator.get("/admin/auth/user/").status_code == 403
    assert moderator.get("/admin/analytics/detectortuning/add/").status_code == 403


def test_an_administrator_manages_the_catalogue_and_users(administrator):
    assert administrator.get("/admin/reports/service/add/").status_code == 200
    assert administrator.get("/admin/auth/user/").status_code == 200
    assert administrator.get("/admin/analytics/detectortuning/add/").status_code == 200


def test_admin_sign_in_is_rate_limited_per_address(client, db, settings):
    User.objects.create_superuser("root", password="the right password 123")
    form = {"username": "root", "password": "wrong", "next": "/admin/"}
    statuses = [client.post("/admin/login/", form).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    # Even the right password waits for the window to pass...
    right = {**form, "password": "the right password 123"}
    response = client.post("/admin/login/", right)
    assert response.status_code == 429 and int(response["Retry-After"]) == 15 * 60
    # ...another address is not affected, and a success clears its own count.
    assert client.post("/admin/login/", right, REMOTE_ADDR="198.51.100.9").status_code == 302
    cache.clear()
    assert client.post("/admin/login/", right).status_code == 302


def test_parallel_wrong_passwords_are_checked_no_more_often_than_the_limit(live_server):
    User.objects.create_superuser("root", password="the right password 123")
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    page = opener.open(live_server.url + "/admin/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"username": "root", "password": "wrong", "csrfmiddlewaretoken": token}
    ).encode()
    start = threading.Barrier(24)

    def guess(_) -> int:
        start.wait()
        try:
            with opener.open(live_server.url + "/admin/login/", body, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(24) as pool:
        statuses = list(pool.map(guess, range(24)))
    # 200 is the form shown again after the password was checked and found wrong.
    assert sorted(statuses) == [200] * 5 + [429] * 19
