// A spot shared every week, computed as the server computes it (the contract's "Recurring
// sharing and time off"), so that the owner sees the next occurrences before sharing and
// which bookings time off would cancel before confirming. The server still decides.

import i18next from 'i18next';
import type { Interval } from './intervals';
import { MINUTE_MS, addDays, isoWeekday, localDate, offsetAt, startOfLocalDay } from './time';

/** What decides a pattern's occurrences (a Pattern has these fields and more). */
export interface PatternRule {
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  weekdays: readonly number[];
  /** Local "HH:MM"; `until` at or before `from` ends on the next day. */
  from: string;
  until: string;
  every_weeks: number;
  /** Local dates YYYY-MM-DD; `ends_on` included. */
  starts_on: string;
  ends_on: string | null;
  paused?: readonly { start_date: string; end_date: string }[];
}

export type ClockChange = 'forward' | 'back';

export interface Occurrence extends Interval {
  /** The local day it starts on. */
  date: string;
  /** Set when the clocks change on a local day the occurrence touches. */
  clockChange: ClockChange | null;
}

/** ISO weekdays, Monday first. */
export const ISO_WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

export interface WeekdayName {
  iso: number;
  /** "Mon", "lun.", "Mo." */
  short: string;
  /** "Monday", "lundi", "Montag" */
  long: string;
}

const weekdayNameCache = new Map<string, readonly WeekdayName[]>();

/**
 * The seven days' names in the app's language (Intl's, so every language has them), Monday
 * first. Read at call time: the language can change while the app runs.
 */
export function weekdayNames(locale: string = i18next.language || 'en'): readonly WeekdayName[] {
  let names = weekdayNameCache.get(locale);
  if (!names) {
    const short = new Intl.DateTimeFormat(locale, { weekday: 'short', timeZone: 'UTC' });
    const long = new Intl.DateTimeFormat(locale, { weekday: 'long', timeZone: 'UTC' });
    // 2024-01-01 was a Monday.
    names = ISO_WEEKDAYS.map((iso) => {
      const day = Date.UTC(2024, 0, iso);
      return { iso, short: short.format(day), long: long.format(day) };
    });
    weekdayNameCache.set(locale, names);
  }
  return names;
}

/** A pattern lasts at most this long (`ends_on` ≤ `starts_on` + 366 days). */
export const MAX_PATTERN_DAYS = 366;

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export function isWallTime(text: string): boolean {
  return HHMM.test(text);
}

/**
 * The instant `zone`'s clock shows `wall` on `date`, by the contract's rule: a time missing on
 * a spring-forward day is the first instant after the gap (02:30 in Paris on that day is
 * 03:00 CEST, not 03:30 as a datetime field reads it); a repeated fall-back time is its
 * first occurrence.
 */
export function patternInstant(date: string, wall: string, zone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = wall.split(':').map(Number) as [number, number];
  const asUtc = Date.UTC(y, m - 1, d, h, mi);
  const clock = (instant: number) => instant + offsetAt(instant, zone);
  // Offsets on either side; no zone changes its offset twice within 12 hours.
  const before = offsetAt(asUtc - 12 * 3_600_000, zone);
  const after = offsetAt(asUtc + 12 * 3_600_000, zone);
  const candidates = [asUtc - before, asUtc - after].filter((t) => clock(t) === asUtc);
  if (candidates.length > 0) return Math.min(...candidates);
  // In the gap: the change itself, the first minute whose clock reads later than `wall`.
  let low = Math.min(asUtc - before, asUtc - after);
  let high = Math.max(asUtc - before, asUtc - after);
  while (high - low > MINUTE_MS) {
    const middle = low + Math.floor((high - low) / MINUTE_MS / 2) * MINUTE_MS;
    if (clock(middle) > asUtc) high = middle;
    else low = middle;
  }
  return high;
}

function daysBetween(first: string, second: string): number {
  return Math.round((Date.parse(`${second}T00:00Z`) - Date.parse(`${first}T00:00Z`)) / 86_400_000);
}

function mondayOf(date: string): string {
  return addDays(date, 1 - isoWeekday(date));
}

/** Whether the pattern has an occurrence starting on the local `date` (pauses included). */
export function occursOn(rule: PatternRule, date: string): boolean {
  if (date < rule.starts_on || (rule.ends_on !== null && date > rule.ends_on)) return false;
  if (!rule.weekdays.includes(isoWeekday(date))) return false;
  // Weeks run Monday to Sunday, counted from the week of starts_on.
  const weeks = daysBetween(mondayOf(rule.starts_on), mondayOf(date)) / 7;
  if (weeks % Math.max(1, rule.every_weeks) !== 0) return false;
  return !(rule.paused ?? []).some((p) => p.start_date <= date && date <= p.end_date);
}

function clockChangeBetween(first: string, last: string, zone: string): ClockChange | null {
  const before = offsetAt(startOfLocalDay(first, zone), zone);
  const later = offsetAt(startOfLocalDay(addDays(last, 1), zone), zone);
  if (later > before) return 'forward';
  if (later < before) return 'back';
  return null;
}

/** The occurrence starting on `date`, or null (none that day, or empty in a gap). */
export function occurrenceOn(rule: PatternRule, date: string, zone: string): Occurrence | null {
  if (!occursOn(rule, date)) return null;
  const overnight = rule.until <= rule.from;
  const endDate = overnight ? addDays(date, 1) : date;
  const start = patternInstant(date, rule.from, zone);
  const end = patternInstant(endDate, rule.until, zone);
  if (end <= start) return null;
  return { date, start, end, clockChange: clockChangeBetween(date, endDate, zone) };
}

/** The occurrences starting on local days `first` to `last`, both included. */
export function occurrencesBetween(
  rule: PatternRule,
  first: string,
  last: string,
  zone: string,
): Occurrence[] {
  const found: Occurrence[] = [];
  const to = rule.ends_on !== null && rule.ends_on < last ? rule.ends_on : last;
  for (let date = first < rule.starts_on ? rule.starts_on : first; date <= to;) {
    const occurrence = occurrenceOn(rule, date, zone);
    if (occurrence) found.push(occurrence);
    date = addDays(date, 1);
  }
  return found;
}

/** The next `count` occurrences not over at `now` (yesterday's may still be under way). */
export function nextOccurrences(
  rule: PatternRule,
  now: number,
  zone: string,
  count: number,
): Occurrence[] {
  const found: Occurrence[] = [];
  const yesterday = addDays(localDate(now, zone), -1);
  let date = yesterday < rule.starts_on ? rule.starts_on : yesterday;
  const stop = addDays(date, MAX_PATTERN_DAYS + 1);
  while (found.length < count && date <= stop) {
    if (rule.ends_on !== null && date > rule.ends_on) break;
    const occurrence = occurrenceOn(rule, date, zone);
    if (occurrence && occurrence.end > now) found.push(occurrence);
    date = addDays(date, 1);
  }
  return found;
}

/**
 * The bookings time off from `first` to `last` would cancel: those in the windows of the
 * occurrences on those days that have not started (one under way keeps its window).
 */
export function bookingsInTimeOff<T extends Interval>(
  rule: PatternRule,
  first: string,
  last: string,
  bookings: readonly T[],
  zone: string,
  now: number,
): T[] {
  const withdrawn = occurrencesBetween(rule, first, last, zone).filter((o) => o.start > now);
  return bookings.filter((b) => withdrawn.some((o) => b.start < o.end && o.start < b.end));
}

/** The weekdays as the garage says them: "weekdays", "weekends", "every day", "Mon, Wed". */
export function weekdaysPhrase(weekdays: readonly number[]): string {
  const days = [...new Set(weekdays)].sort((a, b) => a - b).join(',');
  if (days === '1,2,3,4,5') return i18next.t('manage:recurring.weekdays');
  if (days === '6,7') return i18next.t('manage:recurring.weekends');
  if (days === '1,2,3,4,5,6,7') return i18next.t('manage:recurring.everyDay');
  return weekdayNames()
    .filter((d) => weekdays.includes(d.iso))
    .map((d) => d.short)
    .join(', ');
}

/** "Free weekdays 08:00–18:00", in the words the server's summary of a spot uses. */
export function patternSummary(rule: PatternRule, today: string): string {
  return i18next.t('manage:recurring.summary', {
    days: weekdaysPhrase(rule.weekdays),
    every:
      rule.every_weeks > 1 ? i18next.t('manage:recurring.every', { count: rule.every_weeks }) : '',
    hours: `${rule.from}–${rule.until}`,
    starts:
      rule.starts_on > today ? i18next.t('manage:recurring.starts', { date: rule.starts_on }) : '',
    ends: rule.ends_on ? i18next.t('manage:recurring.ends', { date: rule.ends_on }) : '',
  });
}
