import ctypes
import logging
import os
import signal

from celery import Celery
from celery.signals import beat_embedded_init, beat_init, celeryd_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tremor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@celeryd_init.connect
@beat_init.connect
def _start_the_database(**kwargs) -> None:
    """A worker or a standalone beat is an entry point: with no DATABASE_URL it starts (or
    joins) the embedded server before any task connects. A web process that only queues tasks
    started it through wsgi or manage.py already."""
    from config.embedded_db import start_embedded_database

    start_embedded_database()


@beat_embedded_init.connect
def _die_with_the_worker(sender, **kwargs) -> None:
    """The scheduler of `worker -B` is a child process of the worker. Were the worker killed
    outright (SIGKILL, the OOM killer), it would live on as an orphan, and the restarted worker
    would start a second one: every tick published twice. Ask the kernel to end it with its
    parent, and end it now if the parent is already gone."""
    from billiard.process import current_process

    parent = current_process()._parent_pid  # the worker that forked this process
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    except (OSError, AttributeError) as error:  # not Linux: run compose's separate beat instead
        log.warning("the embedded scheduler cannot follow its worker: %s", error)
        return
    if os.getppid() != parent:  # it died before the kernel was asked
        os._exit(0)
