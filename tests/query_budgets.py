"""How many queries each read path may run: the page and API tests pin these, and
tests/system/test_readme.py checks that the README's table says the same."""

QUERIES = {
    "home page": 2,  # services with their status, hourly sparklines
    "home page, with problems": 3,  # and the troubled services' last 15 minutes
    "service page, rendered": 15,  # the status stamp, then the page's queries
    "service page, from the cache": 0,
    "group page": 8,
    "incident page": 5,
    "search": 4,  # matching groups, whether any name contains the text, services, sparklines
    "category page": 3,  # the category, its services, sparklines
    "services list (API)": 2,  # count and page
    "series (API), rendered": 4,  # the stamp, the service with its status, points, bands
    "series (API), kept": 0,  # until the next analytics run
    "verdicts in the console": 5,  # session, user, permissions, the verdicts
}
