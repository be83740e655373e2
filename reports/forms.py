import secrets
import time
from typing import cast

from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache

from reports.models import ProblemType, Service

STAMP_SALT = "tremor-form-shown"


# A stamp is used once: its nonce is remembered this long (the longest time it can measure).
STAMP_MAX_SECONDS = 86_400


def form_stamp() -> str:
    """When the form was shown, signed, with a nonce that makes each stamp single-use."""
    return signing.dumps({"t": f"{time.time():.3f}", "n": secrets.token_hex(8)}, salt=STAMP_SALT)


def seconds_since_stamp(stamp: str) -> int | None:
    """Seconds since a stamp was made; None for a missing or forged one. A stamp used before is
    a script replaying one page's stamp to look slow and human: it counts as 0 seconds."""
    try:
        data = signing.loads(stamp, salt=STAMP_SALT, max_age=STAMP_MAX_SECONDS)
    except signing.BadSignature:  # SignatureExpired included
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        return None
    if not cache.add(f"tremor:stamp:used:{data['n']}", 1, timeout=STAMP_MAX_SECONDS):
        return 0
    return max(0, min(int(time.time() - float(data["t"])), STAMP_MAX_SECONDS))


class ReportForm(forms.Form):
    """The service page's form: one submit button per problem type, and an optional comment."""

    problem = forms.SlugField(max_length=50)
    comment = forms.CharField(
        required=False,
        max_length=cast(int, settings.TREMOR["COMMENT_MAX_LENGTH"]),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # A trap for bots: hidden from people (CSS display: none, so from screen readers too), filled
    # in by scripts that complete every field. Such reports are stored but never counted.
    website = forms.CharField(required=False, max_length=200)
    # When the page showed the form, signed (reports.forms.form_stamp): how long the reporter
    # took to press a button. A missing or forged stamp is simply not used.
    shown = forms.CharField(required=False, max_length=200)

    def seconds_to_submit(self) -> int | None:
        return seconds_since_stamp(self.cleaned_data.get("shown") or "")

    def __init__(self, *args, service: Service, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.service = service

    def clean_problem(self) -> ProblemType:
        slug = self.cleaned_data["problem"]
        problem = ProblemType.objects.filter(
            category_id=self.service.category_id, slug__iexact=slug
        ).first()
        if problem is None:
            raise forms.ValidationError("Choose one of the problems listed for this service.")
        return problem
