// The admin's CSV exports: whole local days of the building, chosen as a first and a last
// date (both included), sent to the server as the window [first day's start, the day after
// the last's start). The server decides what a window may be (at most 366 days).

import { addDays, localDate, offsetAt, startOfLocalDay, toLocalInput } from './time';

export const DEFAULT_EXPORT_DAYS = 30;

/** The last 30 local days, today included. */
export function defaultExportDates(now: number, zone: string): { from: string; to: string } {
  const to = localDate(now, zone);
  return { from: addDays(to, 1 - DEFAULT_EXPORT_DAYS), to };
}

/** [start of `from`, start of the day after `to`) in `zone`, as the export's start and end,
 * written in the building's offsets (the server names the file by those dates). */
export function exportWindow(
  from: string,
  to: string,
  zone: string,
): { start: string; end: string } {
  return {
    start: withOffset(startOfLocalDay(from, zone), zone),
    end: withOffset(startOfLocalDay(addDays(to, 1), zone), zone),
  };
}

/** `instant` as RFC 3339 in `zone`'s offset then: `2026-01-01T00:00:00+01:00`. */
export function withOffset(instant: number, zone: string): string {
  const minutes = Math.round(offsetAt(instant, zone) / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const hours = String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0');
  const rest = String(Math.abs(minutes) % 60).padStart(2, '0');
  return `${toLocalInput(instant, zone)}:00${sign}${hours}:${rest}`;
}

/** Has the browser save `blob` as `name`. */
export function saveBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked on the next turn: the click's download has taken the URL by then.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
