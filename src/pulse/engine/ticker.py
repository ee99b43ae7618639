"""The ticker: finds due jobs and turns each due slot into a run request, once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pulse import ids
from pulse.clock import Clock
from pulse.events import EventHub, JobChanged
from pulse.models import Overlap, RunRequest, Trigger
from pulse.schedules import latest_slot_at_or_before, next_fire_after
from pulse.store.base import DueSlot, FireOutcome, Firing, Store

# Due jobs read and fired per round. Large, so that a burst is queued in a few rounds: each
# round competes with the runs already started for the CPU.
BATCH = 5000


class Ticker:
    def __init__(
        self, store: Store, clock: Clock, hub: EventHub, on_queued: Callable[[], None]
    ) -> None:
        self._store = store
        self._clock = clock
        self._hub = hub
        self._on_queued = on_queued  # wakes the workers after each batch, not after the last

    async def tick(self, now: datetime | None = None) -> int:
        """Fire every job due at ``now``; returns how many run requests were queued.

        A job that missed several slots (Pulse was down) runs once, for the latest missed slot,
        and its next slot is the first one after ``now``: downtime never causes a burst."""
        now = now or self._clock.now()
        queued = 0
        while True:
            n_due, fired = await self._store.fire_due(
                now, BATCH, lambda due: [self._firing(slot, now) for slot in due]
            )
            batch_queued = 0
            for firing, outcome in fired:
                if outcome is FireOutcome.QUEUED:
                    batch_queued += 1
                elif outcome is FireOutcome.SKIPPED:
                    self._hub.publish(JobChanged(firing.job_id, "skipped"))
            if batch_queued:
                queued += batch_queued
                self._on_queued()
            if n_due < BATCH:
                return queued

    @staticmethod
    def _firing(slot: DueSlot, now: datetime) -> Firing:
        request = RunRequest(
            id=ids.run_request_id(),
            job_id=slot.job_id,
            execution_id=ids.execution_id(int(now.timestamp())),
            trigger=Trigger.SCHEDULE,
            scheduled_for=latest_slot_at_or_before(
                slot.schedule, slot.next_run_at, now, slot.next_run_at
            ),
            created_at=now,
        )
        return Firing(
            job_id=slot.job_id,
            expected_next_run_at=slot.next_run_at,
            new_next_run_at=next_fire_after(slot.schedule, now, slot.next_run_at),
            request=request,
            forbid_overlap=slot.overlap is Overlap.FORBID,
        )

    async def next_due_at(self, horizon: datetime) -> datetime | None:
        """The earliest ``next_run_at`` of an active job up to ``horizon``, if any."""
        due = await self._store.due_slots(horizon, 1)
        return due[0].next_run_at if due else None
