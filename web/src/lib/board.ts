// The lobby board's reading of GET /fn/board: spots grouped by level (their location), each
// level's free count, and when each spot next changes, in the building's time zone.

import i18next from 'i18next';
import type { BoardSpot, SpotStatus } from '../api/types';
import { formatWhen, MINUTE_MS } from './time';

/** What a spot without a location is listed under. */
export const NO_LEVEL = 'Other spots';

export interface Level {
  name: string;
  free: number;
  spots: BoardSpot[];
}

/** The display token of `/board#<token>` (unpadded base64url, 43 characters), or null. */
export function tokenFromHash(hash: string): string | null {
  const token = decodeURIComponent(hash.replace(/^#\/?/, '')).trim();
  return /^[A-Za-z0-9_-]{43}$/.test(token) ? token : null;
}

/** Whether the page at `pathname` is the board (`/board`, under any base path; with a
 * trailing slash the app's relative assets would not load). */
export function isBoardPath(pathname: string): boolean {
  return /(^|\/)board$/.test(pathname);
}

/**
 * A spot's level: its location up to the first comma ("Level -1, row B" is on "Level -1");
 * a spot without a location is under NO_LEVEL.
 */
export function levelOf(location: string | null): string {
  return location?.split(',', 1)[0]?.trim() || NO_LEVEL;
}

/** The rest of a location after its level ("row B"), or ''. */
export function placeOf(location: string | null): string {
  const comma = location?.indexOf(',') ?? -1;
  return location && comma >= 0 ? location.slice(comma + 1).trim() : '';
}

const byLabel = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** The spots by level (levels in the board's order, spots by label), free ones counted. */
export function levels(spots: readonly BoardSpot[]): Level[] {
  const byName = new Map<string, Level>();
  for (const spot of spots) {
    const name = levelOf(spot.location);
    let level = byName.get(name);
    if (!level) {
      level = { name, free: 0, spots: [] };
      byName.set(name, level);
    }
    level.spots.push(spot);
    if (spot.status_now === 'free') level.free += 1;
  }
  for (const level of byName.values())
    level.spots.sort((a, b) => byLabel.compare(a.label, b.label));
  // The spots without a location last, whatever their place in the answer.
  return [...byName.values()].sort(
    (a, b) => Number(a.name === NO_LEVEL) - Number(b.name === NO_LEVEL),
  );
}

/** Larger tiles the fewer spots there are: a small garage reads from across the lobby. */
export type Density = 'large' | 'medium' | 'small';

export function densityFor(spots: number): Density {
  return spots <= 12 ? 'large' : spots <= 40 ? 'medium' : 'small';
}

/** A status in the current language ("Free", "Taken", "Not shared" in English). */
export function statusText(status: SpotStatus): string {
  return i18next.t(`board.status.${status}`);
}

/** A level's name as shown: NO_LEVEL in the current language. */
export function levelName(name: string): string {
  return name === NO_LEVEL ? i18next.t('board.otherSpots') : name;
}

/** "until 14:30", "until tomorrow 07:00"; empty when nothing is coming. */
export function nextChangeText(
  nextChangeAt: string | null,
  now: number,
  zone: string,
  locale?: string,
): string {
  if (!nextChangeAt) return '';
  const at = Date.parse(nextChangeAt);
  if (!Number.isFinite(at)) return '';
  return i18next.t('board.until', { when: formatWhen(Math.max(at, now), now, zone, locale) });
}

const REFETCH_MIN_MS = 5_000;
const REFETCH_MAX_MS = 5 * MINUTE_MS;

/**
 * How long until the board should read itself again: just after the earliest change it
 * shows (a window opening is not an event the relay sends), at least 5 s and at most 5 min
 * from now.
 */
export function refetchDelay(spots: readonly BoardSpot[], now: number): number {
  let earliest = Infinity;
  for (const spot of spots) {
    const at = spot.next_change_at ? Date.parse(spot.next_change_at) : NaN;
    if (Number.isFinite(at) && at < earliest) earliest = at;
  }
  const wait = earliest - now + 1_000;
  return Math.min(REFETCH_MAX_MS, Math.max(REFETCH_MIN_MS, wait));
}
