import { describe, expect, it } from 'vitest';
import type { BoardSpot } from '../src/api/types';
import {
  densityFor,
  isBoardPath,
  levelOf,
  levels,
  NO_LEVEL,
  placeOf,
  nextChangeText,
  refetchDelay,
  tokenFromHash,
} from '../src/lib/board';

const spot = (
  label: string,
  location: string | null,
  status_now: BoardSpot['status_now'] = 'free',
  next_change_at: string | null = null,
): BoardSpot => ({ label, location, status_now, next_change_at });

describe('the board page', () => {
  it('is /board, with the display token in the fragment', () => {
    expect(isBoardPath('/board')).toBe(true);
    expect(isBoardPath('/app/board')).toBe(true);
    expect(isBoardPath('/')).toBe(false);
    expect(isBoardPath('/boards')).toBe(false);
    const token = 'A'.repeat(20) + '_-' + 'b'.repeat(21);
    expect(tokenFromHash(`#${token}`)).toBe(token);
    expect(tokenFromHash(`#/${token}`)).toBe(token);
    expect(tokenFromHash('#/garage')).toBeNull();
    expect(tokenFromHash('')).toBeNull();
  });
});

describe('levels', () => {
  it('groups spots by location in the board’s order, counting the free ones', () => {
    const shown = levels([
      spot('A-10', 'Level -1, by the ramp'),
      spot('X-1', null, 'reserved'),
      spot('A-2', 'Level -1, row B', 'reserved'),
      spot('B-1', 'Level -2', 'unavailable'),
      spot('B-2', '  ', 'free'),
    ]);
    expect(shown.map((l) => [l.name, l.free, l.spots.map((s) => s.label)])).toEqual([
      ['Level -1', 1, ['A-2', 'A-10']],
      ['Level -2', 0, ['B-1']],
      [NO_LEVEL, 1, ['B-2', 'X-1']],
    ]);
    expect(levelOf('Level -1, row B')).toBe('Level -1');
    expect(placeOf('Level -1, row B')).toBe('row B');
    expect(placeOf('Level -2')).toBe('');
    expect(placeOf(null)).toBe('');
  });
});

describe('density', () => {
  it('gives a small garage large tiles and a large one small tiles', () => {
    expect([1, 12, 13, 40, 41, 500].map(densityFor)).toEqual([
      'large',
      'large',
      'medium',
      'medium',
      'small',
      'small',
    ]);
  });
});

describe('next change', () => {
  const now = Date.parse('2026-12-04T09:00:00Z');

  it('says it in the building’s time zone, with the day when it is not today', () => {
    expect(nextChangeText('2026-12-04T13:30:00Z', now, 'Europe/Paris')).toBe('until 14:30');
    expect(nextChangeText('2026-12-04T13:30:00Z', now, 'America/New_York')).toBe('until 08:30');
    expect(nextChangeText('2026-12-05T06:00:00Z', now, 'Europe/Paris')).toBe(
      'until tomorrow 07:00',
    );
    expect(nextChangeText(null, now, 'Europe/Paris')).toBe('');
  });

  it('reads the board again just after the earliest change, within 5 s to 5 min', () => {
    const soon = spot('A', null, 'free', '2026-12-04T09:01:00Z');
    const later = spot('B', null, 'free', '2026-12-04T12:00:00Z');
    expect(refetchDelay([later, soon], now)).toBe(61_000);
    expect(refetchDelay([later], now)).toBe(300_000);
    expect(refetchDelay([spot('C', null, 'free', '2026-12-04T08:00:00Z')], now)).toBe(5_000);
    expect(refetchDelay([], now)).toBe(300_000);
  });
});
