"""The API docs page's introduction: how to call it, what limits apply, how reports are counted
and how to cache. Written from the running settings, so the figures are the deployment's own."""


def describe(tremor: dict) -> str:
    dedupe = tremor["DEDUPE_MINUTES"]
    reporter = tremor["REPORT_THROTTLE_RATE"].replace(",", ", ")
    network = tremor["NETWORK_THROTTLE_RATE"].replace(",", ", ")
    return f"""Crowd-sourced outage reports: submit reports, read statuses, series, groups and
incidents. [Back to the site](/) · [the schema as YAML](/api/schema/)

## Examples

    curl https://tremor.example/api/v1/services/outlook
    curl 'https://tremor.example/api/v1/services/outlook/series?hours=24'
    curl 'https://tremor.example/api/v1/incidents?status=open'
    curl https://tremor.example/api/v1/groups/microsoft-365
    curl -X POST https://tremor.example/api/v1/services/outlook/reports \\
         -H 'Content-Type: application/json' -d '{{"problem": "login"}}'

## How reports are counted

One person counts once per service within {dedupe} minutes: a second report in that time is
stored (200, `"counted": false`) but not counted again. A person is a reporter key, an HMAC of
the network address and browser family that rotates daily; no address is stored.

## Limits

Only valid reports count against the limits; a refused request answers 429 with `Retry-After`.
Per reporter and service: {reporter}. Per network prefix (/24 for IPv4, /48 for IPv6), over
all services together:
{network}. Bodies over the size limit answer 413 with the limit. Reads are not
rate-limited.

## Caching and use from other sites

Reads carry `Cache-Control: public, max-age=30` and an `ETag`; send `If-None-Match` to get a
304. The data change once a minute, when detection runs. Reads allow any origin (CORS); the
report endpoint does not, so another site's script cannot send reports for its visitors.

## Levels

`ok`, `possible` (possible problems) and `problems`. An incident's `public_level` is what the
public sees: a held incident (a moderator checks it) is never `problems`, a withdrawn one gives
no level at all.
"""
