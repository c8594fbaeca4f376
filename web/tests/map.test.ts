import { describe, expect, it } from 'vitest';
import type { SpotView } from '../src/api/types';
import { mapStatus } from '../src/components/GarageMap';

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

describe('the status a spot shows on the map', () => {
  it('is free, taken, yours or not shared, and the viewer’s own spot apart', () => {
    const booked = (mine: boolean) =>
      spot({ status_now: 'reserved', reservations: [{ start: iso(9), end: iso(11), mine }] });
    expect(mapStatus(spot(), false, t(10))).toBe('free');
    expect(mapStatus(booked(false), false, t(10))).toBe('taken');
    expect(mapStatus(booked(true), false, t(10))).toBe('yours');
    expect(mapStatus(spot({ status_now: 'unavailable' }), false, t(10))).toBe('unavailable');
    expect(mapStatus(booked(false), true, t(10))).toBe('own');
  });
});
