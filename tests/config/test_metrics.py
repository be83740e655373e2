"""/metrics: what an operator's Prometheus reads on the outage morning."""

from datetime import timedelta

from django.utils import timezone

from analytics import pipeline


def sample(body: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))  # as the client writes
    for line in body.splitlines():
        head, _, value = line.rpartition(" ")
        if head == (f"{name}{{{want}}}" if want else name):
            return float(value)
    return 0.0


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_reports_are_counted_by_outcome_and_refusals_by_reason(client, outlook):
    before = scrape(client)
    post = {"content_type": "application/json", "REMOTE_ADDR": "198.51.100.7"}
    client.post("/api/v1/services/outlook/reports", {"problem": "login"}, **post)
    client.post("/api/v1/services/outlook/reports", {"problem": "login"}, **post)
    client.post("/api/v1/services/outlook/reports", {"problem": "teleport"}, **post)
    after = scrape(client)

    def grew(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("tremor_reports_total", outcome="counted") == 1
    assert grew("tremor_reports_total", outcome="duplicate") == 1
    assert grew("tremor_reports_refused_total", reason="invalid") == 1
    route = "api/v1/services/<slug:slug>/reports"
    assert grew("tremor_request_seconds_count", route=route, method="POST", status="2xx") == 2
    assert grew("tremor_request_seconds_count", route=route, method="POST", status="4xx") == 1


def test_the_last_pass_the_lag_and_the_queue_are_read_at_scrape_time(client, outlook):
    assert "tremor_analytics_pass_seconds" not in scrape(client)  # no pass yet
    pipeline.refresh_analytics(timezone.now() - timedelta(seconds=30))
    body = scrape(client)
    assert 0 < sample(body, "tremor_analytics_pass_seconds") < 60
    assert 29 <= sample(body, "tremor_report_to_bucket_lag_seconds") < 90
    assert sample(body, "tremor_broker_up") == 1
    assert sample(body, "tremor_queue_depth") >= 0 and "tremor_queue_depth " in body


def test_with_log_format_json_every_line_is_a_json_object(tmp_path):
    import json
    import os
    import subprocess
    import sys

    from tests.factories import ROOT

    env = {**os.environ, "LOG_FORMAT": "json"}
    code = "import logging; logging.getLogger('tremor.test').warning('queue %s is deep', 'x')"
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    entries = [json.loads(line) for line in out.stderr.splitlines() if line.strip()]
    assert {"level": "WARNING", "logger": "tremor.test", "message": "queue x is deep"}.items() <= (
        entries[-1].items()
    )
    # gunicorn's access and error lines too (its settings file is read as gunicorn reads it;
    # patch.dict puts back the environment it sets).
    from unittest import mock

    for log_format, wanted in (("text", False), ("json", True)):
        with mock.patch.dict(os.environ, {"LOG_FORMAT": log_format}):
            config: dict = {}
            exec((ROOT / "config" / "gunicorn.py").read_text(), config)  # noqa: S102
        assert ("logconfig_dict" in config) is wanted
    logging = config["logconfig_dict"]
    assert logging["loggers"]["gunicorn.access"]["handlers"] == ["console"]
    assert logging["formatters"]["json"]["()"].endswith("JsonFormatter")
