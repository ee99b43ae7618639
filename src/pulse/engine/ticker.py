"""The ticker: finds due jobs and turns each due slot into a run request, once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from pulse import ids
from pulse.clock import Clock, format_ts
from pulse.errors import StoreError
from pulse.events import EventHub, JobChanged
from pulse.models import MissedGap, Overlap, RunRequest, Trigger
from pulse.schedules import latest_slot_at_or_before, missed_slots, next_fire_after
from pulse.store.base import DueSlot, FireOutcome, Firing, Store

log = logging.getLogger("pulse.ticker")

# Due jobs read and fired per round. Large, so that a burst is queued in a few rounds: each
# round competes with the runs already started for the CPU.
BATCH = 5000
_JUST_BEFORE = timedelta(milliseconds=1)
_JUST_AFTER = timedelta(seconds=1)


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
        and its next slot is the first one after ``now``: downtime never causes a burst. The
        slots it missed are counted on the job and announced (``pulse_job_changed``,
        ``missed``)."""
        now = now or self._clock.now()
        queued = 0
        gaps: dict[str, MissedGap] = {}

        def plan(due: list[DueSlot]) -> list[Firing]:
            gaps.clear()
            return [self._firing(slot, now, gaps) for slot in due]

        while True:
            n_due, fired = await self._store.fire_due(now, BATCH, plan)
            batch_queued = 0
            for firing, outcome in fired:
                if outcome is FireOutcome.QUEUED:
                    batch_queued += 1
                elif outcome is FireOutcome.SKIPPED:
                    self._hub.publish(JobChanged(firing.job_id, "skipped"))
                gap = gaps.get(firing.job_id)
                if gap is not None and outcome is not FireOutcome.LOST:
                    await self._record_missed(firing.job_id, gap)
            if batch_queued:
                queued += batch_queued
                self._on_queued()
            if n_due < BATCH:
                return queued

    async def _record_missed(self, job_id: str, gap: MissedGap) -> None:
        log.warning(
            "job %s missed %d slot(s) between %s and %s; it runs once, for the latest",
            job_id,
            gap.count,
            format_ts(gap.first),
            format_ts(gap.last),
        )
        try:
            await self._store.record_missed(job_id, gap)
        except StoreError as e:  # the slot itself was fired; only the count is lost
            log.warning("cannot record the slots job %s missed: %s", job_id, e)
            return
        self._hub.publish(JobChanged(job_id, "missed"))

    @staticmethod
    def _firing(slot: DueSlot, now: datetime, gaps: dict[str, MissedGap]) -> Firing:
        latest = latest_slot_at_or_before(slot.schedule, slot.next_run_at, now, slot.next_run_at)
        if latest > slot.next_run_at:
            # The slots from next_run_at up to (not including) the latest were never fired.
            missed = missed_slots(
                slot.schedule, slot.next_run_at, latest - _JUST_BEFORE, slot.next_run_at
            )
            if missed.count and missed.first is not None and missed.last is not None:
                gaps[slot.job_id] = MissedGap(missed.count, missed.first, missed.last)
        request = RunRequest(
            id=ids.run_request_id(),
            job_id=slot.job_id,
            execution_id=ids.execution_id(int(now.timestamp())),
            trigger=Trigger.SCHEDULE,
            scheduled_for=latest,
            created_at=now,
        )
        nxt = next_fire_after(slot.schedule, now, slot.next_run_at)
        if nxt is not None and nxt <= now:
            # Never a next slot at or before now: the job would fire on every tick.
            log.error("job %s: next slot %s is not after %s; skipping ahead", slot.job_id, nxt, now)
            nxt = next_fire_after(slot.schedule, now + _JUST_AFTER, slot.next_run_at)
            if nxt is not None and nxt <= now:
                nxt = None
        return Firing(
            job_id=slot.job_id,
            expected_next_run_at=slot.next_run_at,
            new_next_run_at=nxt,
            request=request,
            forbid_overlap=slot.overlap is Overlap.FORBID,
        )

    async def next_due_at(self, horizon: datetime) -> datetime | None:
        """The earliest ``next_run_at`` of an active job up to ``horizon``, if any."""
        due = await self._store.due_slots(horizon, 1)
        return due[0].next_run_at if due else None
