// The admin's CSV exports: whole local days of the building, chosen as a first and a last
// date (both included), sent to the server as the window [first day's start, the day after
// the last's start). The server decides what a window may be (at most 366 days).

import { addDays, localDate, startOfLocalDay, toIso } from './time';

export const DEFAULT_EXPORT_DAYS = 30;

/** The last 30 local days, today included. */
export function defaultExportDates(now: number, zone: string): { from: string; to: string } {
  const to = localDate(now, zone);
  return { from: addDays(to, 1 - DEFAULT_EXPORT_DAYS), to };
}

/** [start of `from`, start of the day after `to`) in `zone`, as the export's start and end. */
export function exportWindow(
  from: string,
  to: string,
  zone: string,
): { start: string; end: string } {
  return {
    start: toIso(startOfLocalDay(from, zone)),
    end: toIso(startOfLocalDay(addDays(to, 1), zone)),
  };
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
