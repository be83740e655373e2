"""After a quarantine or its release: recount the window, refit the baseline, and hold (or give
back) the incidents the detector would no longer open on the reports that count now.

The console decides which reports count; this redoes what detection built on them.
"""

from django.utils import timezone

from analytics.baselines import rebuild_baselines
from analytics.binning import refresh_buckets
from analytics.incidents import restore_withdrawn, withdraw_unsupported
from reports.models import Quarantine


def recount_after_quarantine(quarantine: Quarantine, *, releasing: bool) -> None:
    """Recount the quarantine's window from the reports that count now, refit its service's
    baseline, then withdraw the incidents that no longer open (or, on release, restore them)."""
    refresh_buckets(quarantine.start, quarantine.end)
    rebuild_baselines(timezone.now(), services=[quarantine.service_id])
    if releasing:
        restore_withdrawn(quarantine)
    else:
        withdraw_unsupported(quarantine.service_id, quarantine.start, quarantine.end, quarantine)
