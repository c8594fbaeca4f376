// What the garage shows about a spot, derived from its SpotView.

import type { SpotView } from '../api/types';
import { clip, freeIntervals, type Interval } from './intervals';
import { parseInstant } from './time';

export const toInterval = (w: { start: string; end: string }): Interval => ({
  start: parseInstant(w.start),
  end: parseInstant(w.end),
});

/** When the spot can still be booked (shared, not reserved), within `window` if given. */
export function spotFreeTimes(spot: SpotView, window?: Interval): Interval[] {
  const free = freeIntervals(spot.availability.map(toInterval), spot.reservations.map(toInterval));
  return window ? clip(free, window) : free;
}

/**
 * Free spots first: free for the whole window, then free now, then free at some time in the
 * window, then the rest; by label within each (B1-2 before B1-10).
 */
export function sortSpots(spots: readonly SpotView[], window: Interval, now: number): SpotView[] {
  const rank = (s: SpotView) =>
    s.free_for_window
      ? 0
      : s.status_now === 'free'
        ? 1
        : spotFreeTimes(s, window).some((i) => i.end > now)
          ? 2
          : 3;
  const ranked = spots.map((spot) => ({ spot, rank: rank(spot) }));
  ranked.sort(
    (a, b) =>
      a.rank - b.rank || a.spot.label.localeCompare(b.spot.label, undefined, { numeric: true }),
  );
  return ranked.map((r) => r.spot);
}

/** The reservation running now on this spot, if any. */
export function currentReservation(
  spot: SpotView,
  now: number,
): SpotView['reservations'][number] | undefined {
  return spot.reservations.find((r) => parseInstant(r.start) <= now && now < parseInstant(r.end));
}
