"""What every public page's template may ask for."""

from django.http import HttpRequest

from analytics.page_cache import demo_data_shown


def demo_data(request: HttpRequest) -> dict:
    # A callable: a template calls it only where it asks, so other pages read no cache for it.
    return {"demo_data": demo_data_shown}
