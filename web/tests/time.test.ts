import { describe, expect, it } from 'vitest';
import {
  addLocalDays,
  formatRange,
  fromLocalInput,
  localDate,
  localDayBounds,
  nextFullHour,
  offsetAt,
  toLocalInput,
  zoneAbbreviation,
} from '../src/lib/time';

const PARIS = 'Europe/Paris';
const utc = (iso: string) => Date.parse(iso);

describe('datetime-local ⇄ instant in the building zone', () => {
  it('reads a winter and a summer wall time with their own offsets', () => {
    expect(fromLocalInput('2026-12-01T14:00', PARIS)).toBe(utc('2026-12-01T13:00:00Z'));
    expect(fromLocalInput('2026-07-01T14:00', PARIS)).toBe(utc('2026-07-01T12:00:00Z'));
  });

  it('shows an instant as the wall clock of the zone, not of the browser', () => {
    expect(toLocalInput(utc('2026-12-01T13:00:00Z'), PARIS)).toBe('2026-12-01T14:00');
    expect(toLocalInput(utc('2026-12-01T13:00:00Z'), 'America/New_York')).toBe('2026-12-01T08:00');
    expect(toLocalInput(utc('2026-12-01T23:30:00Z'), PARIS)).toBe('2026-12-02T00:30');
  });

  it('moves a time in the spring gap forward by the gap (02:30 on 29 March 2026 is 03:30 CEST)', () => {
    const instant = fromLocalInput('2026-03-29T02:30', PARIS);
    expect(instant).toBe(utc('2026-03-29T01:30:00Z'));
    expect(toLocalInput(instant as number, PARIS)).toBe('2026-03-29T03:30');
  });

  it('takes the first of the two 02:30s on 25 October 2026, and shows both', () => {
    expect(fromLocalInput('2026-10-25T02:30', PARIS)).toBe(utc('2026-10-25T00:30:00Z'));
    expect(toLocalInput(utc('2026-10-25T00:30:00Z'), PARIS)).toBe('2026-10-25T02:30');
    expect(toLocalInput(utc('2026-10-25T01:30:00Z'), PARIS)).toBe('2026-10-25T02:30');
  });

  it('round-trips every quarter hour across both daylight-saving days', () => {
    for (const day of ['2026-03-28T22:00:00Z', '2026-10-24T22:00:00Z']) {
      for (let q = 0; q < 4 * 26; q++) {
        const instant = utc(day) + q * 15 * 60_000;
        const text = toLocalInput(instant, PARIS);
        const back = fromLocalInput(text, PARIS) as number;
        // The repeated autumn hour reads back as its first occurrence, an hour earlier.
        expect([instant, instant - 3_600_000]).toContain(back);
        expect(toLocalInput(back, PARIS)).toBe(text);
      }
    }
  });

  it('refuses what is not a time', () => {
    expect(fromLocalInput('', PARIS)).toBeNull();
    expect(fromLocalInput('2026-02-30T10:00', PARIS)).toBeNull();
    expect(fromLocalInput('2026-12-01T24:00', PARIS)).toBeNull();
    expect(fromLocalInput('tomorrow', PARIS)).toBeNull();
  });

  it('knows the offset on either side of a change', () => {
    expect(offsetAt(utc('2026-03-29T00:59:00Z'), PARIS)).toBe(3_600_000);
    expect(offsetAt(utc('2026-03-29T01:00:00Z'), PARIS)).toBe(7_200_000);
  });
});

describe('local calendar days', () => {
  it('are 23 hours in spring, 25 in autumn and 24 otherwise', () => {
    const hours = (date: string) => {
      const [start, end] = localDayBounds(date, PARIS);
      return (end - start) / 3_600_000;
    };
    expect(hours('2026-03-29')).toBe(23);
    expect(hours('2026-10-25')).toBe(25);
    expect(hours('2026-12-01')).toBe(24);
  });

  it('adds days on the wall clock across a change', () => {
    const before = fromLocalInput('2026-03-28T08:00', PARIS) as number;
    const after = addLocalDays(before, 1, PARIS);
    expect(toLocalInput(after, PARIS)).toBe('2026-03-29T08:00');
    expect(after - before).toBe(23 * 3_600_000);
  });

  it('dates an instant by the building, not by UTC', () => {
    expect(localDate(utc('2026-12-01T23:30:00Z'), PARIS)).toBe('2026-12-02');
  });

  it('finds the next full hour on the local clock, also in a half-hour zone', () => {
    expect(nextFullHour(utc('2026-12-01T13:20:00Z'), PARIS)).toBe(utc('2026-12-01T14:00:00Z'));
    // Kolkata is UTC+05:30: its full hours fall on UTC half hours.
    expect(nextFullHour(utc('2026-12-01T13:20:00Z'), 'Asia/Kolkata')).toBe(
      utc('2026-12-01T13:30:00Z'),
    );
  });
});

describe('display', () => {
  it('names the zone as people know it in winter and summer', () => {
    expect(zoneAbbreviation(utc('2026-12-01T12:00:00Z'), PARIS, 'en-US')).toBe('CET');
    expect(zoneAbbreviation(utc('2026-07-01T12:00:00Z'), PARIS, 'en-US')).toBe('CEST');
  });

  it('writes a range within one local day once', () => {
    const text = formatRange(
      utc('2026-12-01T13:00:00Z'),
      utc('2026-12-01T15:00:00Z'),
      PARIS,
      'en-GB',
    );
    expect(text).toBe('Tue 1 Dec, 14:00–16:00');
  });

  it('writes both ends of a range across midnight', () => {
    const text = formatRange(
      utc('2026-12-01T20:00:00Z'),
      utc('2026-12-02T06:00:00Z'),
      PARIS,
      'en-GB',
    );
    expect(text).toBe('Tue 1 Dec, 21:00 – Wed 2 Dec, 07:00');
  });
});
