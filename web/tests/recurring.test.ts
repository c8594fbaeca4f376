import i18next from 'i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogues, NAMESPACES } from '../src/i18n/catalogues';
import {
  bookingsInTimeOff,
  nextOccurrences,
  occurrenceOn,
  occurrencesBetween,
  patternInstant,
  patternSummary,
  weekdayNames,
  weekdaysPhrase,
  type PatternRule,
} from '../src/lib/recurring';
import { toLocalInput } from '../src/lib/time';

const PARIS = 'Europe/Paris';
const SYDNEY = 'Australia/Sydney';
const utc = (iso: string) => Date.parse(iso);
const iso = (instant: number) => new Date(instant).toISOString().replace('.000', '');

const rule = (over: Partial<PatternRule>): PatternRule => ({
  weekdays: [1, 2, 3, 4, 5],
  from: '08:00',
  until: '18:00',
  every_weeks: 1,
  starts_on: '2026-11-30',
  ends_on: null,
  ...over,
});

describe('the next occurrences of a pattern', () => {
  it('are on the chosen weekdays only, in the building’s zone', () => {
    const now = utc('2026-12-01T06:00:00Z'); // Tue 07:00 in Paris
    const next = nextOccurrences(rule({}), now, PARIS, 5);
    expect(next.map((o) => o.date)).toEqual([
      '2026-12-01',
      '2026-12-02',
      '2026-12-03',
      '2026-12-04',
      '2026-12-07',
    ]);
    expect([iso(next[0]!.start), iso(next[0]!.end)]).toEqual([
      '2026-12-01T07:00:00Z',
      '2026-12-01T17:00:00Z',
    ]);
    expect(next.every((o) => o.clockChange === null)).toBe(true);
  });

  it('skips what is over but keeps the one under way', () => {
    const now = utc('2026-12-01T12:00:00Z'); // Tue 13:00, during Tuesday's
    expect(nextOccurrences(rule({}), now, PARIS, 1)[0]?.date).toBe('2026-12-01');
    const evening = utc('2026-12-01T18:00:00Z');
    expect(nextOccurrences(rule({}), evening, PARIS, 1)[0]?.date).toBe('2026-12-02');
  });

  it('counts every_weeks in Monday-to-Sunday weeks from the week of starts_on', () => {
    // Starts on a Wednesday: Monday 30 November is that week's, though before starts_on.
    const r = rule({ weekdays: [1, 3], every_weeks: 2, starts_on: '2026-12-02' });
    const next = nextOccurrences(r, utc('2026-11-29T00:00:00Z'), PARIS, 5);
    expect(next.map((o) => o.date)).toEqual([
      '2026-12-02',
      '2026-12-14',
      '2026-12-16',
      '2026-12-28',
      '2026-12-30',
    ]);
  });

  it('stops at ends_on (included) and leaves out time off', () => {
    const r = rule({
      weekdays: [1, 2, 3, 4, 5, 6, 7],
      starts_on: '2026-12-01',
      ends_on: '2026-12-06',
      paused: [{ start_date: '2026-12-02', end_date: '2026-12-03' }],
    });
    const next = nextOccurrences(r, utc('2026-11-30T00:00:00Z'), PARIS, 10);
    expect(next.map((o) => o.date)).toEqual([
      '2026-12-01',
      '2026-12-04',
      '2026-12-05',
      '2026-12-06',
    ]);
  });

  it('ends on the next day when until is at or before from', () => {
    const night = occurrenceOn(rule({ from: '19:00', until: '07:00' }), '2026-12-01', PARIS)!;
    expect([toLocalInput(night.start, PARIS), toLocalInput(night.end, PARIS)]).toEqual([
      '2026-12-01T19:00',
      '2026-12-02T07:00',
    ]);
    const day = occurrenceOn(rule({ from: '08:00', until: '08:00' }), '2026-12-01', PARIS)!;
    expect(day.end - day.start).toBe(24 * 3_600_000);
  });
});

describe('clock changes', () => {
  const everyDay = rule({ weekdays: [1, 2, 3, 4, 5, 6, 7], starts_on: '2026-01-01' });
  const marks = (zone: string, first: string, last: string) =>
    occurrencesBetween(everyDay, first, last, zone).map((o) => [o.date, o.clockChange]);

  it('marks the spring-forward and the fall-back day in Paris, and only those', () => {
    expect(marks(PARIS, '2026-03-28', '2026-03-30')).toEqual([
      ['2026-03-28', null],
      ['2026-03-29', 'forward'],
      ['2026-03-30', null],
    ]);
    expect(marks(PARIS, '2026-10-24', '2026-10-26')).toEqual([
      ['2026-10-24', null],
      ['2026-10-25', 'back'],
      ['2026-10-26', null],
    ]);
    // 08:00 keeps its wall time on both sides of the change.
    const spring = occurrenceOn(everyDay, '2026-03-29', PARIS)!;
    expect(iso(spring.start)).toBe('2026-03-29T06:00:00Z');
  });

  it('marks the southern-hemisphere changes in Sydney (forward in October, back in April)', () => {
    expect(marks(SYDNEY, '2026-10-03', '2026-10-05')).toEqual([
      ['2026-10-03', null],
      ['2026-10-04', 'forward'],
      ['2026-10-05', null],
    ]);
    expect(marks(SYDNEY, '2026-04-04', '2026-04-06')).toEqual([
      ['2026-04-04', null],
      ['2026-04-05', 'back'],
      ['2026-04-06', null],
    ]);
  });

  it('starts a time missing in the gap at the first instant after it, not an hour later', () => {
    expect(iso(patternInstant('2026-03-29', '02:30', PARIS))).toBe('2026-03-29T01:00:00Z');
    expect(iso(patternInstant('2026-03-29', '02:00', PARIS))).toBe('2026-03-29T01:00:00Z');
    expect(iso(patternInstant('2026-10-04', '02:30', SYDNEY))).toBe('2026-10-03T16:00:00Z');
  });

  it('reads a repeated fall-back time as its first occurrence', () => {
    expect(iso(patternInstant('2026-10-25', '02:30', PARIS))).toBe('2026-10-25T00:30:00Z');
    expect(iso(patternInstant('2026-04-05', '02:30', SYDNEY))).toBe('2026-04-04T15:30:00Z');
  });

  it('marks a night across midnight that reaches a change day, at its real length', () => {
    const night = rule({ weekdays: [6], from: '22:00', until: '06:00', starts_on: '2026-03-01' });
    const saturday = occurrenceOn(night, '2026-03-28', PARIS)!;
    expect(saturday.clockChange).toBe('forward');
    expect(saturday.end - saturday.start).toBe(7 * 3_600_000);
    expect(occurrenceOn(night, '2026-03-21', PARIS)!.clockChange).toBeNull();
  });

  it('has no occurrence when the whole of it falls in the gap', () => {
    const inGap = rule({ weekdays: [7], from: '02:10', until: '02:50', starts_on: '2026-03-01' });
    expect(occurrenceOn(inGap, '2026-03-29', PARIS)).toBeNull();
    expect(occurrenceOn(inGap, '2026-03-22', PARIS)).not.toBeNull();
  });
});

describe('time off', () => {
  const now = utc('2026-12-01T06:00:00Z'); // Tue 07:00 in Paris
  const booking = (start: string, end: string) => ({ start: utc(start), end: utc(end) });
  const wednesday = booking('2026-12-02T09:00:00Z', '2026-12-02T11:00:00Z');
  const thursday = booking('2026-12-03T09:00:00Z', '2026-12-03T11:00:00Z');
  const wednesdayNight = booking('2026-12-02T19:00:00Z', '2026-12-02T20:00:00Z');

  it('cancels the bookings in the occurrences of those days, not those outside them', () => {
    const cancelled = bookingsInTimeOff(
      rule({}),
      '2026-12-02',
      '2026-12-02',
      [wednesday, thursday, wednesdayNight],
      PARIS,
      now,
    );
    expect(cancelled).toEqual([wednesday]);
  });

  it('leaves an occurrence under way alone', () => {
    const today = booking('2026-12-01T12:00:00Z', '2026-12-01T13:00:00Z');
    const during = utc('2026-12-01T10:00:00Z');
    expect(bookingsInTimeOff(rule({}), '2026-12-01', '2026-12-01', [today], PARIS, during)).toEqual(
      [],
    );
  });
});

describe('the summary', () => {
  beforeAll(async () => {
    // The summary is in the app's language: English here, whatever ran before.
    if (!i18next.isInitialized) {
      await i18next.init({
        resources: catalogues,
        lng: 'en',
        fallbackLng: 'en',
        ns: [...NAMESPACES],
        defaultNS: 'common',
        interpolation: { escapeValue: false },
      });
    }
    await i18next.changeLanguage('en');
  });

  it('speaks as the garage does', () => {
    expect(patternSummary(rule({}), '2026-12-01')).toBe('Free weekdays 08:00–18:00');
    expect(
      patternSummary(
        rule({ weekdays: [3, 1], every_weeks: 2, starts_on: '2026-12-07', ends_on: '2027-01-31' }),
        '2026-12-01',
      ),
    ).toBe('Free Mon, Wed every 2 weeks 08:00–18:00 from 2026-12-07 until 2027-01-31');
    expect(patternSummary(rule({ weekdays: [6, 7] }), '2026-12-01')).toBe(
      'Free weekends 08:00–18:00',
    );
  });

  it('names the days in the language chosen, Monday first', () => {
    expect(weekdayNames('en').map((d) => d.short)).toEqual([
      'Mon',
      'Tue',
      'Wed',
      'Thu',
      'Fri',
      'Sat',
      'Sun',
    ]);
    expect(weekdayNames('en')[6]?.long).toBe('Sunday');
    expect(weekdayNames('de')[0]?.long).toBe('Montag');
    expect(weekdayNames('fr')[0]?.long).toBe('lundi');
    expect(weekdaysPhrase([5, 1])).toBe('Mon, Fri');
  });
});
