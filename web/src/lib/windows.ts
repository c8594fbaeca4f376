// Time windows people pick: sensible defaults and one-tap choices, in the building's zone,
// and the friendly checks made before the server decides. Texts in the current language,
// looked up at each call.

import i18next from 'i18next';
import type { Policy } from '../api/types';
import type { Interval } from './intervals';
import {
  HOUR_MS,
  MINUTE_MS,
  addDays,
  addLocalDays,
  atLocalTime,
  floorToMinute,
  formatDuration,
  isoWeekday,
  localDate,
  nextFullHour,
} from './time';

export interface Choice extends Interval {
  label: string;
  /** What the choice is, whatever the language ("next24"); only where code needs to know. */
  id?: string;
}

/** Bookings may start up to 5 minutes in the past (the policy's grace); stay inside it. */
export const START_GRACE_MS = 5 * MINUTE_MS;

/**
 * Where a booking dialog starts: the next full hour for two hours (a booking that can still
 * be cancelled; "Now" is one tap away), moved to the start of the spot's next free time and
 * cut short where that free time ends. With nothing known to be free: the next full hour.
 */
export function defaultBooking(
  now: number,
  zone: string,
  free: readonly Interval[],
  hours = 2,
): Interval {
  const hour = nextFullHour(now, zone);
  const next = free.filter((i) => i.end > hour + MINUTE_MS).sort((a, b) => a.start - b.start)[0];
  if (!next) return { start: hour, end: hour + hours * HOUR_MS };
  const start = Math.max(hour, next.start);
  return { start, end: Math.min(start + hours * HOUR_MS, next.end) };
}

function tonight(now: number, zone: string): Interval {
  const today = localDate(now, zone);
  const evening = atLocalTime(today, '19:00', zone);
  const morning = atLocalTime(addDays(today, 1), '07:00', zone);
  if (now < morning && now >= evening) return { start: floorToMinute(now), end: morning };
  if (now < atLocalTime(today, '07:00', zone))
    return { start: floorToMinute(now), end: atLocalTime(today, '07:00', zone) };
  return { start: evening, end: morning };
}

function tomorrowDaytime(now: number, zone: string): Interval {
  const tomorrow = addDays(localDate(now, zone), 1);
  return { start: atLocalTime(tomorrow, '08:00', zone), end: atLocalTime(tomorrow, '18:00', zone) };
}

/** The coming Saturday 00:00 to Monday 00:00 (this one, if it is already the weekend). */
export function weekend(now: number, zone: string): Interval {
  const today = localDate(now, zone);
  const weekday = isoWeekday(today);
  // Monday..Friday look ahead to Saturday; Sunday looks back to the Saturday just gone.
  const saturday = addDays(today, 6 - weekday);
  const start = Math.max(floorToMinute(now), atLocalTime(saturday, '00:00', zone));
  return { start, end: atLocalTime(addDays(saturday, 2), '00:00', zone) };
}

/** One-tap windows in the booking dialog. */
export function bookingChoices(now: number, zone: string): Choice[] {
  const from = floorToMinute(now);
  const hour = nextFullHour(now, zone);
  return [
    ...[1, 2, 4].map((hours) => ({
      label: i18next.t('garage:windows.nowFor', { hours }),
      start: from,
      end: from + hours * HOUR_MS,
    })),
    {
      label: i18next.t('garage:windows.nextHourFor', { hours: 2 }),
      start: hour,
      end: hour + 2 * HOUR_MS,
    },
    { label: i18next.t('garage:windows.tonightHours'), ...tonight(now, zone) },
    { label: i18next.t('garage:windows.tomorrowHours'), ...tomorrowDaytime(now, zone) },
  ];
}

/** One-tap windows an owner shares a spot for. */
export function sharingChoices(now: number, zone: string): Choice[] {
  const from = floorToMinute(now);
  return [
    { label: i18next.t('garage:windows.tonightHours'), ...tonight(now, zone) },
    { label: i18next.t('garage:windows.tomorrowHours'), ...tomorrowDaytime(now, zone) },
    { label: i18next.t('garage:windows.thisWeekend'), ...weekend(now, zone) },
    {
      label: i18next.t('garage:windows.nextDays', { count: 7 }),
      start: from,
      end: addLocalDays(from, 7, zone),
    },
  ];
}

/** Windows the garage can be filtered by; "next 24 hours" moves with the clock. */
export function garageChoices(now: number, zone: string): Choice[] {
  const from = floorToMinute(now);
  return [
    {
      id: 'next24',
      label: i18next.t('garage:windows.nextHours', { hours: 24 }),
      start: from,
      end: from + 24 * HOUR_MS,
    },
    {
      label: i18next.t('garage:windows.nextHours', { hours: 2 }),
      start: from,
      end: from + 2 * HOUR_MS,
    },
    { label: i18next.t('garage:windows.tonight'), ...tonight(now, zone) },
    { label: i18next.t('garage:windows.tomorrow'), ...tomorrowDaytime(now, zone) },
    { label: i18next.t('garage:windows.weekend'), ...weekend(now, zone) },
  ];
}

export interface WindowCheck {
  /** Why the window cannot be sent at all (nonsense input). */
  error: string | null;
  /** What the server will probably refuse; shown, not enforced. */
  warnings: string[];
}

/** Friendly checks of a booking window; the server has the last word. */
export function checkBooking(
  window: Partial<Interval>,
  now: number,
  policy: Policy | null,
): WindowCheck {
  const { start, end } = window;
  if (start === undefined || Number.isNaN(start))
    return { error: i18next.t('garage:windows.startMissing'), warnings: [] };
  if (end === undefined || Number.isNaN(end))
    return { error: i18next.t('garage:windows.endMissing'), warnings: [] };
  if (end <= start) return { error: i18next.t('garage:windows.untilAfterFrom'), warnings: [] };
  const warnings: string[] = [];
  if (start < now - START_GRACE_MS) warnings.push(i18next.t('garage:windows.startsInPast'));
  if (policy) {
    if (end - start > policy.max_hours * HOUR_MS) {
      warnings.push(
        i18next.t('garage:windows.maxHours', {
          hours: policy.max_hours,
          duration: formatDuration(end - start),
        }),
      );
    }
    if (start > now + policy.horizon_days * 24 * HOUR_MS) {
      warnings.push(i18next.t('garage:windows.horizon', { count: policy.horizon_days }));
    }
  }
  return { error: null, warnings };
}

/** Friendly checks of a window an owner shares or withdraws. */
export function checkSharing(window: Partial<Interval>): WindowCheck {
  const { start, end } = window;
  if (start === undefined || Number.isNaN(start) || end === undefined || Number.isNaN(end)) {
    return { error: i18next.t('garage:windows.startEndMissing'), warnings: [] };
  }
  if (end <= start) return { error: i18next.t('garage:windows.endAfterStart'), warnings: [] };
  return { error: null, warnings: [] };
}
