"""The worker's jobs under the name the previous release queued them by.

RQ stores a job by its function's dotted name, and the jobs now live in `parkshare.live.jobs`:
a timer or a sweep queued as `parkshare.jobs.<job>` before an upgrade still runs through
these names. Nothing imports this module; it can go a release after the move.
"""

from parkshare.live.jobs import moments, reservation_ended, reservation_started, sweep

__all__ = ["moments", "reservation_ended", "reservation_started", "sweep"]
