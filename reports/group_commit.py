"""Group commit: the reports that arrive while one transaction is being written go in the next.

A gunicorn process serves many requests at once on threads. Each report used to be its own
transaction (several round trips and a commit for every press); at the rush of an outage the
database's commits, not Python, set the pace. Here the first request to arrive writes its report
(it leads); requests arriving meanwhile queue; when the leader's commit returns it hands the
queue to the first of them, which writes them all as one batch. No thread of our own, nothing
to start after gunicorn forks, and a lone request is written at once: a batch only forms when
requests overlap, so it costs no latency when the site is quiet.

Every caller gets its answer only after the commit that holds its report: a 2xx means the row
is in PostgreSQL (durable as its `synchronous_commit`, on by default, makes it).
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.db import DatabaseError, InterfaceError, OperationalError

log = logging.getLogger(__name__)
Item = TypeVar("Item")
Result = TypeVar("Result")

# A batch is as large as the requests that overlap one commit; this only bounds a pathological
# queue so that one statement stays small.
MAX_BATCH = 200


@dataclass
class _Ticket(Generic[Item, Result]):
    item: Item
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    result: Result | None = None
    error: BaseException | None = None


class GroupCommit(Generic[Item, Result]):
    """Runs `write(items) -> results` (same order) for batches of concurrent `submit` calls."""

    def __init__(self, write: Callable[[list[Item]], list[Result]]) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._queue: list[_Ticket] = []
        self._busy = False

    def submit(self, item: Item) -> Result:
        ticket: _Ticket = _Ticket(item)
        with self._lock:
            self._queue.append(ticket)
            lead = not self._busy
            self._busy = True
        if not lead:
            ticket.done.wait()
        if lead or ticket.lead:
            self._lead()
        if ticket.error is not None:
            raise ticket.error
        return ticket.result  # type: ignore[return-value]

    def _lead(self) -> None:
        with self._lock:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        try:
            outcomes = self._write_batch([t.item for t in batch])
        except Exception as exc:  # whatever it was, every waiter must be told
            outcomes = [(None, exc)] * len(batch)
        finally:
            with self._lock:
                successor = self._queue[0] if self._queue else None
                if successor is None:
                    self._busy = False
                else:
                    successor.lead = True
            if successor is not None:
                successor.done.set()
        for ticket, (result, error) in zip(batch, outcomes, strict=True):
            ticket.result, ticket.error = result, error
            ticket.done.set()

    def _write_batch(self, items: list[Item]) -> list[tuple[Result | None, BaseException | None]]:
        try:
            return [(result, None) for result in self._write(items)]
        except (OperationalError, InterfaceError) as exc:
            # The database is unreachable: every report in the batch gets the same answer.
            return [(None, exc)] * len(items)
        except DatabaseError:
            if len(items) == 1:
                raise
            # One bad row must not fail the others: write them one by one.
            log.warning("a batch of %d reports failed; writing them one by one", len(items))
            outcomes: list[tuple[Result | None, BaseException | None]] = []
            for item in items:
                try:
                    outcomes.append((self._write([item])[0], None))
                except DatabaseError as exc:
                    outcomes.append((None, exc))
            return outcomes
