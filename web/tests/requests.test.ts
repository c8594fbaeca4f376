import { describe, expect, it } from 'vitest';
import type { Reservation, SpotRequest } from '../src/api/types';
import { requestOutcome } from '../src/components/FindSpotCard';
import { prefixesFor, keys } from '../src/data/keys';
import { topicsFor, type LiveEvent } from '../src/live/events';
import { checkinOpen } from '../src/screens/ReservationsScreen';

const MINUTE = 60_000;
const start = Date.parse('2026-12-03T09:00:00Z');
const booking: Reservation = {
  id: 'r1',
  spot_id: 's1',
  user_id: 'me',
  start: '2026-12-03T09:00:00Z',
  end: '2026-12-03T11:00:00Z',
  status: 'booked',
  cost: 3,
  checked_in_at: null,
};
const request = (over: Partial<SpotRequest>): SpotRequest => ({
  id: 'q1',
  start: '2026-12-03T09:00:00Z',
  end: '2026-12-03T11:00:00Z',
  status: 'waiting',
  reservation_id: null,
  created_at: '2026-12-02T09:00:00Z',
  ...over,
});
const ev = (type: string, data: Record<string, unknown>): LiveEvent => ({
  id: '1-0',
  type,
  building_id: 'b',
  at: '2026-12-03T09:00:00Z',
  data,
});

describe('check-in', () => {
  it('opens 15 minutes before the start and closes at the grace', () => {
    expect(checkinOpen(booking, 10, start - 16 * MINUTE)).toBe(false);
    expect(checkinOpen(booking, 10, start - 15 * MINUTE)).toBe(true);
    expect(checkinOpen(booking, 10, start + 10 * MINUTE)).toBe(true);
    expect(checkinOpen(booking, 10, start + 11 * MINUTE)).toBe(false);
  });

  it('is never offered with check-in off or once checked in', () => {
    expect(checkinOpen(booking, 0, start)).toBe(false);
    expect(checkinOpen({ ...booking, checked_in_at: '2026-12-03T08:55:00Z' }, 10, start)).toBe(
      false,
    );
  });
});

describe('what a request says', () => {
  const label = (id: string) => (id === 's1' ? 'B1-05' : 'Spot');
  it('names the spot it booked, or says it waits', () => {
    const matched = request({ status: 'matched', reservation_id: 'r1' });
    expect(requestOutcome(matched, label, (id) => (id === 'r1' ? 's1' : null))).toBe(
      'Booked B1-05',
    );
    expect(requestOutcome(request({}), label, () => null)).toMatch(/^Waiting/);
    expect(requestOutcome(request({ ahead: 0 }), label, () => null)).toMatch(/\(you are next\)$/);
    expect(requestOutcome(request({ ahead: 2 }), label, () => null)).toMatch(/\(2 ahead of you\)$/);
    expect(requestOutcome(request({ status: 'expired' }), label, () => null)).toBe('Expired');
  });
});

describe('live events of requests and no-shows', () => {
  const me = { userId: 'me', mySpotIds: new Set<string>() };
  it('a matched request refreshes the requests with the caller page', () => {
    const topics = topicsFor(ev('request.matched', { request: request({}) }), me);
    expect(prefixesFor(topics)).toContain('me');
    expect(keys.requests.startsWith('me')).toBe(true);
  });

  it('a no-show frees the spot for everyone and tells its parker', () => {
    const topics = [...topicsFor(ev('reservation.no_show', { reservation: booking }), me)].sort();
    expect(topics).toEqual(['ledger', 'me', 'residents', 'spots', 'utilization']);
    const other = { userId: 'someone', mySpotIds: new Set<string>() };
    expect(topicsFor(ev('reservation.checked_in', { reservation: booking }), other).size).toBe(0);
  });
});
