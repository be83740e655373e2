import time
from typing import cast

from django import forms
from django.conf import settings
from django.core import signing

from reports.models import ProblemType, Service

STAMP_SALT = "tremor-form-shown"


def form_stamp() -> str:
    return signing.dumps(f"{time.time():.3f}", salt=STAMP_SALT)


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
        try:
            shown = signing.loads(self.cleaned_data.get("shown") or "", salt=STAMP_SALT)
        except signing.BadSignature:
            return None
        return max(0, min(int(time.time() - float(shown)), 86_400))

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
