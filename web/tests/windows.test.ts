import { describe, expect, it } from 'vitest';
import { toLocalInput } from '../src/lib/time';
import { bookingChoices, checkBooking, defaultBooking, weekend } from '../src/lib/windows';

const PARIS = 'Europe/Paris';
const at = (iso: string) => Date.parse(iso);
const local = (instant: number) => toLocalInput(instant, PARIS);
const policy = {
  cost: 3,
  starting_credits: 50,
  max_hours: 24,
  horizon_days: 30,
  checkin_grace_minutes: 0,
  no_show_owner_share: 1,
};

describe('the booking dialog’s default window', () => {
  it('is the next full hour for two hours when the spot is free then', () => {
    const now = at('2026-12-01T13:20:00Z'); // 14:20 in Paris
    const w = defaultBooking(now, PARIS, [
      { start: at('2026-12-01T06:00:00Z'), end: at('2026-12-01T18:00:00Z') },
    ]);
    expect([local(w.start), local(w.end)]).toEqual(['2026-12-01T15:00', '2026-12-01T17:00']);
  });

  it('moves to the spot’s next free time and ends with it', () => {
    const now = at('2026-12-01T13:20:00Z');
    const w = defaultBooking(now, PARIS, [
      { start: at('2026-12-01T18:00:00Z'), end: at('2026-12-01T19:00:00Z') },
    ]);
    expect([local(w.start), local(w.end)]).toEqual(['2026-12-01T19:00', '2026-12-01T20:00']);
  });

  it('falls back to the next full hour when nothing is known to be free', () => {
    const w = defaultBooking(at('2026-12-01T13:20:00Z'), PARIS, []);
    expect(local(w.start)).toBe('2026-12-01T15:00');
  });
});

describe('quick choices', () => {
  it('"Tomorrow 08–18" is local time, also on the day the clocks go back', () => {
    const choice = bookingChoices(at('2026-10-24T10:00:00Z'), PARIS).find((c) =>
      c.label.startsWith('Tomorrow'),
    );
    expect([local(choice!.start), local(choice!.end)]).toEqual([
      '2026-10-25T08:00',
      '2026-10-25T18:00',
    ]);
    expect(choice!.end - choice!.start).toBe(10 * 3_600_000);
  });

  it('the weekend runs Saturday 00:00 to Monday 00:00 (from now when already in it)', () => {
    const fromWednesday = weekend(at('2026-12-02T10:00:00Z'), PARIS);
    expect([local(fromWednesday.start), local(fromWednesday.end)]).toEqual([
      '2026-12-05T00:00',
      '2026-12-07T00:00',
    ]);
    const fromSunday = weekend(at('2026-12-06T10:00:00Z'), PARIS);
    expect([local(fromSunday.start), local(fromSunday.end)]).toEqual([
      '2026-12-06T11:00',
      '2026-12-07T00:00',
    ]);
  });
});

describe('friendly checks before booking', () => {
  const now = at('2026-12-01T12:00:00Z');
  it('blocks only nonsense', () => {
    expect(checkBooking({ start: now + 1, end: now }, now, policy).error).toMatch(/after/);
    expect(checkBooking({ start: Number.NaN, end: now }, now, policy).error).toMatch(/starts/);
    expect(checkBooking({ start: now, end: now + 3_600_000 }, now, policy)).toEqual({
      error: null,
      warnings: [],
    });
  });

  it('warns about what the server will likely refuse', () => {
    expect(
      checkBooking({ start: now - 3_600_000, end: now + 3_600_000 }, now, policy).warnings[0],
    ).toMatch(/past/);
    expect(
      checkBooking({ start: now, end: now + 25 * 3_600_000 }, now, policy).warnings[0],
    ).toMatch(/at most 24 h/);
    expect(
      checkBooking({ start: now + 31 * 86_400_000, end: now + 31 * 86_400_000 + 1 }, now, policy)
        .warnings[0],
    ).toMatch(/30 days/);
  });
});
