"""The HTML side of submitting: the service page's report form posts here."""

import math

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from reports import pow
from reports.forms import ReportForm
from reports.models import Service
from reports.services import pending_report, reporter_from_request, submit_pending
from reports.throttling import check_reporter_throttle


@require_POST
def submit_report_form(request: HttpRequest, slug: str) -> HttpResponse:
    service = get_object_or_404(Service.objects.active(), slug=slug)
    back = redirect("service-detail", slug=service.slug)
    back["Location"] += "#report"
    wait = check_reporter_throttle(request)
    if wait is not None:
        messages.error(
            request,
            f"Too many reports from your connection; please try again in {math.ceil(wait)} seconds.",
        )
        return back
    if pow.enabled():
        pow.record_submission()
        problem = pow.check(
            request.POST.get("pow_challenge", ""), request.POST.get("pow_counter", "")
        )
        if problem:
            messages.error(request, problem)
            return back
    form = ReportForm(request.POST, service=service)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return back
    now = timezone.now()
    submission = submit_pending(
        pending_report(
            service=service,
            problem=form.cleaned_data["problem"],
            reporter=reporter_from_request(request, now=now),
            comment=form.cleaned_data["comment"],
            now=now,
            honeypot=bool(form.cleaned_data["website"]),
            seconds_to_submit=form.seconds_to_submit(),
        )
    )
    problem = form.cleaned_data["problem"].name
    if submission.counted:
        messages.success(
            request, f"Thanks: your report about {service.name} ({problem}) is counted."
        )
    else:
        messages.info(
            request,
            f"Thanks: we stored your report ({problem}); you were already counted for "
            f"{service.name} in the last few minutes.",
        )
    return back
