// Cache keys of what the screens show, and which keys each live topic touches.

import type { Topic } from '../live/events';

export const keys = {
  me: 'me',
  /** Every list-spots answer starts with "spots:" so optimistic patches reach them all. */
  garage: (window: string) => `spots:garage:${window}`,
  timeline: (spotId: string, from: string, days: number) =>
    `spots:timeline:${spotId}:${from}:${days}`,
  mySpots: 'spots:mine',
  residents: 'admin:residents',
  adminLedger: (userId: string) => `admin:ledger:${userId}`,
  audit: (action: string) => `admin:audit:${action}`,
  sso: 'admin:sso',
  /** The building's lobby displays; only this screen's own changes (and the screens) move them. */
  displays: 'admin:displays',
  utilization: (start: string, end: string) => `admin:utilization:${start}:${end}`,
  sessions: 'auth:sessions',
  /** The caller's patterns; no live event announces them, the screen's own changes do. */
  patterns: 'recurring:mine',
  /** Each spot's "Free weekdays 08:00–18:00", read apart from the garage's list. */
  recurringSummaries: 'recurring:summaries',
  /** The newest page of the caller's notifications, with the unread count (the bell). */
  notifications: 'notifications:latest',
  notificationPreferences: 'notifications:preferences',
  /** The caller's calendar feed URL; only the account screen's rotation changes it. */
  calendar: 'calendar:link',
  /** The caller's requests: under "me", so whatever refreshes the caller's page refreshes them. */
  requests: 'me:requests',
  /** The garage map's levels and positions; only the admin's drawing changes them. */
  garageMap: 'map:levels',
} as const;

export const TOPIC_PREFIXES: Record<Topic, readonly string[]> = {
  spots: ['spots:'],
  me: ['me'],
  residents: ['admin:residents'],
  ledger: ['admin:ledger'],
  utilization: ['admin:utilization'],
  notifications: [keys.notifications],
};

export function prefixesFor(topics: Iterable<Topic>): string[] {
  return [...new Set([...topics].flatMap((topic) => TOPIC_PREFIXES[topic]))];
}
