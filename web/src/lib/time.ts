// Wall-clock time in the building's IANA zone, and the instants behind it.
//
// Instants are milliseconds since the epoch (what Date.parse gives); everything a person
// reads or types is the building's local time, whatever zone the browser is in. Only
// Intl.DateTimeFormat knows the zone rules, so conversions go through it.

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const partFormatters = new Map<string, Intl.DateTimeFormat>();

function partFormatter(zone: string): Intl.DateTimeFormat {
  let formatter = partFormatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      // h23: midnight is 00, never 24 (which hour12: false gives in some engines).
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partFormatters.set(zone, formatter);
  }
  return formatter;
}

export function isTimeZone(zone: string): boolean {
  try {
    partFormatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in `zone` at `instant`. */
export function wallTime(instant: number, zone: string): WallTime {
  const wall: WallTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of partFormatter(zone).formatToParts(instant)) {
    if (part.type in wall) wall[part.type as keyof WallTime] = Number(part.value);
  }
  return wall;
}

function wallAsUtc(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
}

/** How far `zone`'s wall clock is ahead of UTC at `instant`, in ms (CEST: +7,200,000). */
export function offsetAt(instant: number, zone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallAsUtc(wallTime(whole, zone)) - whole;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The value of an <input type="datetime-local"> showing `instant` in `zone`. */
export function toLocalInput(instant: number, zone: string): string {
  const w = wallTime(instant, zone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

/** The local calendar date (YYYY-MM-DD) of `instant` in `zone`. */
export function localDate(instant: number, zone: string): string {
  return toLocalInput(instant, zone).slice(0, 10);
}

const LOCAL_INPUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;

/**
 * The instant a wall-clock time in `zone` names, or null if the text is no such time.
 *
 * On a daylight-saving day a wall time can be missing (spring: 02:30 in Paris never
 * happens) or happen twice (autumn: 02:30 comes round again). Like Temporal's
 * "compatible" disambiguation, a missing time moves forward by the gap (02:30 → 03:30) and a
 * repeated one means its first occurrence.
 */
export function fromLocalInput(value: string, zone: string): number | null {
  const match = LOCAL_INPUT.exec(value.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const wall: WallTime = { year: y, month: mo, day: d, hour: h, minute: mi, second: s || 0 };
  const guess = wallAsUtc(wall);
  // Reject what Date.UTC silently rolls over (February 30th, 25:00).
  const check = new Date(guess);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59) return null;

  // Offsets on either side of this wall time; no zone changes offset twice within 12 hours.
  const before = offsetAt(guess - 12 * HOUR_MS, zone);
  const after = offsetAt(guess + 12 * HOUR_MS, zone);
  const candidates = [guess - before, guess - after].filter(
    (instant) => wallAsUtc(wallTime(instant, zone)) === guess,
  );
  if (candidates.length > 0) return Math.min(...candidates);
  // In the gap: read the wall time with the offset in force before the change.
  return guess - before;
}

/** Calendar arithmetic on YYYY-MM-DD dates (no zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The instant a local calendar day begins in `zone` (local midnight, or the first minute after it). */
export function startOfLocalDay(date: string, zone: string): number {
  const instant = fromLocalInput(`${date}T00:00`, zone);
  if (instant === null) throw new RangeError(`not a date: ${date}`);
  return instant;
}

/** A local day as instants: [start, end). 23 or 25 hours long on daylight-saving days. */
export function localDayBounds(date: string, zone: string): [number, number] {
  return [startOfLocalDay(date, zone), startOfLocalDay(addDays(date, 1), zone)];
}

/** The instant `days` local calendar days after `instant` at the same wall time. */
export function addLocalDays(instant: number, days: number, zone: string): number {
  const text = toLocalInput(instant, zone);
  const moved = `${addDays(text.slice(0, 10), days)}${text.slice(10)}`;
  return fromLocalInput(moved, zone) ?? instant + days * DAY_MS;
}

/** `wall` (HH:MM) on the local `date` in `zone`. */
export function atLocalTime(date: string, wall: string, zone: string): number {
  const instant = fromLocalInput(`${date}T${wall}`, zone);
  if (instant === null) throw new RangeError(`not a time: ${date} ${wall}`);
  return instant;
}

export function floorToMinute(instant: number): number {
  return Math.floor(instant / MINUTE_MS) * MINUTE_MS;
}

/** The next full hour on `zone`'s clock (offsets are whole minutes, so this is exact). */
export function nextFullHour(instant: number, zone: string): number {
  const wall = wallTime(instant, zone);
  const intoHour = (wall.minute * 60 + wall.second) * 1000 + (((instant % 1000) + 1000) % 1000);
  return instant - intoHour + HOUR_MS;
}

/** ISO day of week of a YYYY-MM-DD date: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return day === 0 ? 7 : day;
}

export function toIso(instant: number): string {
  return new Date(instant).toISOString();
}

export function parseInstant(text: string): number {
  return Date.parse(text);
}

// --- display ------------------------------------------------------------------------------

const displayFormatters = new Map<string, Intl.DateTimeFormat>();
// The app's language (i18n/index.ts sets it); undefined: the runtime's own.
let displayLocale: string | undefined;

export function setDisplayLocale(locale: string | undefined): void {
  displayLocale = locale;
}

function display(
  zone: string,
  options: Intl.DateTimeFormatOptions,
  given?: string,
): Intl.DateTimeFormat {
  const locale = given ?? displayLocale;
  const key = `${locale ?? ''}|${zone}|${JSON.stringify(options)}`;
  let formatter = displayFormatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, { timeZone: zone, ...options });
    displayFormatters.set(key, formatter);
  }
  return formatter;
}

export function formatTime(instant: number, zone: string, locale?: string): string {
  return display(zone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, locale).format(
    instant,
  );
}

export function formatDay(instant: number, zone: string, locale?: string): string {
  return display(zone, { weekday: 'short', day: 'numeric', month: 'short' }, locale).format(
    instant,
  );
}

export function formatDateTime(instant: number, zone: string, locale?: string): string {
  return `${formatDay(instant, zone, locale)}, ${formatTime(instant, zone, locale)}`;
}

/** "Tue 1 Dec, 14:00–16:00", or both ends in full when the range spans local days. */
export function formatRange(start: number, end: number, zone: string, locale?: string): string {
  const sameDay = localDate(start, zone) === localDate(end - 1, zone);
  if (sameDay) {
    return `${formatDateTime(start, zone, locale)}–${formatTime(end, zone, locale)}`;
  }
  return `${formatDateTime(start, zone, locale)} – ${formatDateTime(end, zone, locale)}`;
}

/** The zone's short name at `instant` ("CET", "CEST", or "GMT+1" where there is none). */
export function zoneAbbreviation(instant: number, zone: string, locale?: string): string {
  const name = (loc: string | undefined) =>
    display(zone, { timeZoneName: 'short' }, loc)
      .formatToParts(instant)
      .find((part) => part.type === 'timeZoneName')?.value;
  const own = name(locale);
  if (own && !own.startsWith('GMT') && !own.startsWith('UTC')) return own;
  // Most locales know only their own zones' abbreviations ("CET" is "GMT+1" in en-US):
  // try the two English ones that between them name most zones people recognise.
  for (const fallback of ['en-GB', 'en-US']) {
    const other = name(fallback);
    if (other && !other.startsWith('GMT') && !other.startsWith('UTC')) return other;
  }
  return own ?? zone;
}

/** "2 h", "1 h 30 min", "45 min", "3 days 2 h". */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / MINUTE_MS);
  const days = Math.floor(minutes / (24 * 60));
  const hours = Math.floor((minutes % (24 * 60)) / 60);
  const rest = minutes % 60;
  const parts: string[] = [];
  if (days) {
    parts.push(
      new Intl.NumberFormat(displayLocale ?? 'en', {
        style: 'unit',
        unit: 'day',
        unitDisplay: 'long',
      }).format(days),
    );
  }
  if (hours) parts.push(`${hours} h`);
  if (rest) parts.push(`${rest} min`);
  return parts.length ? parts.join(' ') : '0 min';
}

/** A moment near `now` as people say it: "19:00", "tomorrow 07:00", "Tue 8 Dec, 07:00". */
export function formatWhen(instant: number, now: number, zone: string, locale?: string): string {
  const day = localDate(instant, zone);
  const today = localDate(now, zone);
  if (day === today) return formatTime(instant, zone, locale);
  if (day === addDays(today, 1)) {
    const tomorrow = new Intl.RelativeTimeFormat(locale ?? displayLocale ?? 'en', {
      numeric: 'auto',
    }).format(1, 'day');
    return `${tomorrow} ${formatTime(instant, zone, locale)}`;
  }
  return formatDateTime(instant, zone, locale);
}
