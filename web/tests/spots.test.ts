import { describe, expect, it } from 'vitest';
import type { Me, Reservation, SpotView } from '../src/api/types';
import {
  meWithBooking,
  meWithoutBooking,
  spotsWithAvailability,
  spotsWithBooking,
  spotsWithoutBooking,
} from '../src/data/optimistic';
import { merge, subtract } from '../src/lib/intervals';
import { sortSpots } from '../src/lib/spots';

const t = (hh: number) => Date.parse(`2026-12-01T${String(hh).padStart(2, '0')}:00:00Z`);
const iso = (hh: number) => new Date(t(hh)).toISOString();

const spot = (over: Partial<SpotView> = {}): SpotView => ({
  id: 's1',
  label: 'B1-01',
  location: null,
  notes: null,
  owner: { id: 'owner', display_name: 'Alice' },
  status_now: 'free',
  free_for_window: true,
  next_change_at: null,
  availability: [{ start: iso(8), end: iso(20) }],
  reservations: [],
  ...over,
});

const reservation: Reservation = {
  id: 'r1',
  spot_id: 's1',
  user_id: 'me',
  start: iso(10),
  end: iso(12),
  status: 'booked',
  checked_in_at: null,
  cost: 3,
};
const me = { credits: 50, reservations: { upcoming: [], past: [] } } as unknown as Me;

describe('optimistic bookings', () => {
  it('a booking covering now turns the spot reserved at once', () => {
    const [after] = spotsWithBooking([spot()], 's1', { start: iso(10), end: iso(12) }, t(11));
    expect(after?.status_now).toBe('reserved');
    expect(after?.reservations).toEqual([{ start: iso(10), end: iso(12), mine: true }]);
    expect(after?.free_for_window).toBe(false);
  });

  it('a later booking leaves the status now alone', () => {
    const [after] = spotsWithBooking([spot()], 's1', { start: iso(14), end: iso(16) }, t(11));
    expect(after?.status_now).toBe('free');
  });

  it('other spots are untouched (same objects)', () => {
    const other = spot({ id: 's2' });
    const list = [spot(), other];
    expect(spotsWithBooking(list, 's1', { start: iso(10), end: iso(12) }, t(9))[1]).toBe(other);
    expect(spotsWithBooking(list, 'nope', { start: iso(10), end: iso(12) }, t(9))).toBe(list);
  });

  it('cancelling takes the booking away and frees the spot if it was running', () => {
    const booked = spot({
      status_now: 'reserved',
      reservations: [{ start: iso(10), end: iso(12), mine: true }],
    });
    const [after] = spotsWithoutBooking([booked], 's1', { start: iso(10), end: iso(12) }, t(11));
    expect(after?.reservations).toEqual([]);
    expect(after?.status_now).toBe('free');
  });

  it('holds the cost from my balance, and gives it back when cancelled', () => {
    const booked = meWithBooking(me, reservation);
    expect(booked.credits).toBe(47);
    expect(booked.reservations.upcoming).toEqual([reservation]);
    const cancelled = meWithoutBooking(booked, 'r1');
    expect(cancelled.credits).toBe(50);
    expect(cancelled.reservations.upcoming).toEqual([]);
    expect(cancelled.reservations.past[0]?.status).toBe('cancelled');
  });
});

describe('optimistic sharing', () => {
  it('merges a touching window as the server does, and frees the spot now', () => {
    const off = spot({
      status_now: 'unavailable',
      availability: [{ start: iso(8), end: iso(10) }],
    });
    const [after] = spotsWithAvailability(
      [off],
      's1',
      { start: iso(10), end: iso(14) },
      true,
      t(11),
    );
    expect(after?.availability).toEqual([{ start: iso(8), end: iso(14) }]);
    expect(after?.status_now).toBe('free');
  });

  it('withdrawing the middle splits the window', () => {
    const [after] = spotsWithAvailability(
      [spot()],
      's1',
      { start: iso(11), end: iso(13) },
      false,
      t(12),
    );
    expect(after?.availability).toEqual([
      { start: iso(8), end: iso(11) },
      { start: iso(13), end: iso(20) },
    ]);
    expect(after?.status_now).toBe('unavailable');
  });
});

describe('intervals', () => {
  it('merge joins overlapping and touching ones', () => {
    expect(
      merge([
        { start: 5, end: 7 },
        { start: 1, end: 3 },
        { start: 3, end: 4 },
      ]),
    ).toEqual([
      { start: 1, end: 4 },
      { start: 5, end: 7 },
    ]);
  });

  it('subtract leaves the uncovered parts', () => {
    expect(
      subtract(
        [{ start: 0, end: 10 }],
        [
          { start: 2, end: 3 },
          { start: 8, end: 12 },
        ],
      ),
    ).toEqual([
      { start: 0, end: 2 },
      { start: 3, end: 8 },
    ]);
  });
});

describe('garage order', () => {
  it('puts free spots first, then spots with some free time, then the rest, by label', () => {
    const window = { start: t(9), end: t(21) };
    const list = [
      spot({
        id: 'a',
        label: 'B1-10',
        free_for_window: false,
        status_now: 'unavailable',
        availability: [],
      }),
      spot({
        id: 'b',
        label: 'B1-9',
        free_for_window: false,
        status_now: 'reserved',
        availability: [{ start: iso(8), end: iso(20) }],
        reservations: [{ start: iso(8), end: iso(12), mine: false }],
      }),
      spot({ id: 'c', label: 'B1-3', free_for_window: false, status_now: 'free' }),
      spot({ id: 'd', label: 'B1-2', free_for_window: true }),
    ];
    expect(sortSpots(list, window, t(10)).map((s) => s.label)).toEqual([
      'B1-2',
      'B1-3',
      'B1-9',
      'B1-10',
    ]);
  });
});
