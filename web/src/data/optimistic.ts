// What a change looks like before the server has answered, so the screen moves at once;
// each is undone if the server refuses (QueryCache.patch keeps the undo).

import type { Me, Reservation, SpotView, Window } from '../api/types';
import { covers, merge, overlaps, subtract, type Interval } from '../lib/intervals';
import { parseInstant, toIso } from '../lib/time';

const interval = (w: Window): Interval => ({
  start: parseInstant(w.start),
  end: parseInstant(w.end),
});
const asWindow = (i: Interval): Window => ({ start: toIso(i.start), end: toIso(i.end) });

/** The spot lists with `booking` added to its spot: reserved now if it covers `now`. */
export function spotsWithBooking(
  spots: SpotView[],
  spotId: string,
  booking: Window,
  now: number,
): SpotView[] {
  const span = interval(booking);
  let changed = false;
  const next = spots.map((spot) => {
    if (spot.id !== spotId) return spot;
    changed = true;
    const reservations = [...spot.reservations, { ...booking, mine: true }].sort(
      (a, b) => parseInstant(a.start) - parseInstant(b.start),
    );
    const coversNow = span.start <= now && now < span.end;
    return {
      ...spot,
      reservations,
      status_now: coversNow ? 'reserved' : spot.status_now,
      // The list's window is not known here; a booking overlapping any part of the spot's
      // free time makes "free for the whole window" doubtful until the re-fetch says.
      free_for_window:
        spot.free_for_window && !spot.availability.some((a) => overlaps(interval(a), span)),
    } satisfies SpotView;
  });
  return changed ? next : spots;
}

/** The spot lists with `booking` gone from its spot (a cancelled reservation of mine). */
export function spotsWithoutBooking(
  spots: SpotView[],
  spotId: string,
  booking: Window,
  now: number,
): SpotView[] {
  let changed = false;
  const next = spots.map((spot) => {
    if (spot.id !== spotId) return spot;
    const reservations = spot.reservations.filter(
      (r) => !(r.mine && r.start === booking.start && r.end === booking.end),
    );
    if (reservations.length === spot.reservations.length) return spot;
    changed = true;
    const span = interval(booking);
    const sharedNow = spot.availability.some((a) =>
      covers(interval(a), { start: now, end: now + 1 }),
    );
    const wasThisOne = span.start <= now && now < span.end;
    return {
      ...spot,
      reservations,
      status_now: wasThisOne ? (sharedNow ? 'free' : 'unavailable') : spot.status_now,
    } satisfies SpotView;
  });
  return changed ? next : spots;
}

/** The spot lists with `window` shared (merged, as the server merges) or withdrawn. */
export function spotsWithAvailability(
  spots: SpotView[],
  spotId: string,
  window: Window,
  available: boolean,
  now: number,
): SpotView[] {
  const span = interval(window);
  let changed = false;
  const next = spots.map((spot) => {
    if (spot.id !== spotId) return spot;
    changed = true;
    const current = spot.availability.map(interval);
    const windows = available ? merge([...current, span]) : subtract(current, [span]);
    const sharedNow = windows.some((w) => w.start <= now && now < w.end);
    const status_now =
      spot.status_now === 'reserved' ? 'reserved' : sharedNow ? 'free' : 'unavailable';
    return { ...spot, availability: windows.map(asWindow), status_now } satisfies SpotView;
  });
  return changed ? next : spots;
}

/** My page with a new booking: upcoming, and its cost held from my balance. */
export function meWithBooking(me: Me, reservation: Reservation): Me {
  if (me.reservations.upcoming.some((r) => r.id === reservation.id)) return me;
  const upcoming = [...me.reservations.upcoming, reservation].sort(
    (a, b) => parseInstant(a.start) - parseInstant(b.start),
  );
  return {
    ...me,
    credits: me.credits - reservation.cost,
    reservations: { ...me.reservations, upcoming },
  };
}

/** My page with a booking cancelled: it moves to the past and its cost comes back. */
export function meWithoutBooking(me: Me, reservationId: string): Me {
  const found = me.reservations.upcoming.find((r) => r.id === reservationId);
  if (!found) return me;
  return {
    ...me,
    credits: me.credits + found.cost,
    reservations: {
      upcoming: me.reservations.upcoming.filter((r) => r.id !== reservationId),
      past: [{ ...found, status: 'cancelled' }, ...me.reservations.past],
    },
  };
}
