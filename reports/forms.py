from django import forms
from django.conf import settings

from reports.models import ProblemType, Service


class ReportForm(forms.Form):
    """The service page's form: one submit button per problem type, and an optional comment."""

    problem = forms.SlugField(max_length=50)
    comment = forms.CharField(
        required=False,
        max_length=settings.TREMOR["COMMENT_MAX_LENGTH"],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # A trap for bots: hidden from people (CSS display: none, so from screen readers too), filled
    # in by scripts that complete every field. Such reports are stored but never counted.
    website = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, service: Service, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.service = service

    def clean_problem(self) -> ProblemType:
        slug = self.cleaned_data["problem"]
        problem = ProblemType.objects.filter(
            category_id=self.service.category_id, slug=slug
        ).first()
        if problem is None:
            raise forms.ValidationError("Choose one of the problems listed for this service.")
        return problem
