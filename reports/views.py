"""The HTML side of submitting: the service page's report form posts here."""

import math

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from config.metrics import count_refusal
from reports import pow
from reports.forms import ReportForm, form_stamp
from reports.models import Service
from reports.services import pending_report, reporter_from_request, submit_pending
from reports.throttling import check_reporter_throttle

# Django's own CSRF check, run by hand so that a failed check can ask again instead of a 403.
_csrf_check = CsrfViewMiddleware(lambda request: HttpResponse())


def form_state(request: HttpRequest) -> dict:
    """What a report form needs that is about one visitor and one press: the CSRF token (its
    cookie is set on this answer), when the form was shown, and a proof-of-work challenge."""
    challenge, bits = pow.new_challenge() if pow.enabled() else ("", 0)
    return {
        "csrf_token": get_token(request),
        "form_shown": form_stamp(),
        "pow_challenge": challenge,
        "pow_bits": bits,
    }


@require_GET
@never_cache
def report_form_state(request: HttpRequest) -> JsonResponse:
    """The cached service page fetches this (static/js/report-form.js) to fill in its form."""
    return JsonResponse(form_state(request))


@csrf_exempt  # checked below, where a failure has a kinder answer than Django's 403
@require_POST
def submit_report_form(request: HttpRequest, slug: str) -> HttpResponse:
    service = get_object_or_404(Service.objects.active(), slug=slug)
    # No view to consult (None carries no csrf_exempt mark), so the check always runs.
    if _csrf_check.process_view(request, None, (), {}) is not None:  # type: ignore[arg-type]
        # The form came from the cached page without its token: no JavaScript, or the state
        # answer did not arrive. Nothing is stored; the visitor presses once more here.
        return _confirm_page(request, service)
    back = redirect("service-detail", slug=service.slug)
    back["Location"] += "#report"
    if pow.enabled():
        pow.record_submission()
        problem = pow.check(
            request.POST.get("pow_challenge", ""), request.POST.get("pow_counter", "")
        )
        if problem:
            count_refusal("proof_of_work")
            messages.error(request, problem)
            return back
    form = ReportForm(request.POST, service=service)
    if not form.is_valid():
        count_refusal("invalid")
        for errors in form.errors.values():
            for error in errors:
                # ErrorList hands out messages (its __getitem__ unwraps each ValidationError);
                # the stubs type its items as stored.
                messages.error(request, error)  # type: ignore[arg-type]
        return back
    wait = check_reporter_throttle(request, service.pk)  # valid reports only count against it
    if wait is not None:
        count_refusal("throttled")
        messages.error(
            request,
            f"Too many reports from your connection; please try again in {math.ceil(wait)} seconds.",
        )
        return back
    now = timezone.now()
    pending = pending_report(
        service=service,
        problem=form.cleaned_data["problem"],
        reporter=reporter_from_request(request, now=now),
        comment=form.cleaned_data["comment"],
        now=now,
        honeypot=bool(form.cleaned_data["website"]),
        seconds_to_submit=form.seconds_to_submit(),
    )
    submission = submit_pending(pending)
    problem = form.cleaned_data["problem"].name
    if submission.counted:
        text = f"Thanks: your report about {service.name} ({problem}) is counted."
    else:
        text = (
            f"Thanks: we stored your report ({problem}); you were already counted for "
            f"{service.name} in the last few minutes."
        )
    if pending.comment_held:
        text += " Your comment will be shown once a moderator has checked it."
    elif pending.comment:
        text += " Your comment is shown below."
    (messages.success if submission.counted else messages.info)(request, text)
    return back


def _confirm_page(request: HttpRequest, service: Service) -> HttpResponse:
    problem_types = list(service.category.problem_types.all())
    # The choice and the comment are kept only for a form of our own: a form on another site
    # must not hand a visitor a report (or a spam comment) of its making to confirm.
    ours = _from_our_site(request)
    chosen = request.POST.get("problem", "") if ours else ""
    context = {
        "service": service,
        # The choice comes first, so one more press of the first button sends the same report.
        "problem_types": sorted(problem_types, key=lambda p: p.slug != chosen),
        "comment": request.POST.get("comment", "")[:1000] if ours else "",
        "pow_enabled": pow.enabled(),
        **form_state(request),
    }
    response = render(request, "reports/confirm.html", context)
    patch_cache_control(response, private=True, no_store=True)
    return response


def _from_our_site(request: HttpRequest) -> bool:
    """Whether the browser says the form was on this site (Sec-Fetch-Site, else Origin); a
    browser that sends neither is taken at its word."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.get_host()}"
