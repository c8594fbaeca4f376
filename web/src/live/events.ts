// The relay's Events and what each one means for the screens.
//
// Payloads, as the procedures write them to the outbox (sql/migrations):
//   spot.updated            {spot: Spot, status_now?}   (status_now when a stay starts or ends)
//   availability.changed    {spot_id, start, end, available}
//   reservation.created     {reservation}   and .cancelled, .started, .ended, .settled
//   credits.changed         {user_id, credits}           (only to the user concerned)
//   notification.created    {notification}               (only to the user concerned)
// Every event carries the full new state of what it is about and may arrive twice, so
// applying one is idempotent; screens mostly re-fetch what an event touches.

import type { Notification, Reservation, Spot, SpotStatus } from '../api/types';

export const EVENT_TYPES = [
  'spot.updated',
  'availability.changed',
  'reservation.created',
  'reservation.cancelled',
  'reservation.started',
  'reservation.ended',
  'reservation.settled',
  'credits.changed',
  'notification.created',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface LiveEvent {
  id: string;
  type: string;
  building_id: string;
  at: string;
  data: Record<string, unknown>;
}

/** What a screen shows, named so that a query can say which events concern it. */
export type Topic = 'spots' | 'me' | 'residents' | 'ledger' | 'utilization' | 'notifications';

export interface Viewer {
  userId: string;
  mySpotIds: ReadonlySet<string>;
}

/** An Event from a socket message, or null for anything else (the `pong`, garbage). */
export function parseEvent(text: string): LiveEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  if (typeof record.id !== 'string' || typeof record.type !== 'string') return null;
  const data =
    typeof record.data === 'object' && record.data !== null
      ? (record.data as Record<string, unknown>)
      : {};
  return {
    id: record.id,
    type: record.type,
    building_id: typeof record.building_id === 'string' ? record.building_id : '',
    at: typeof record.at === 'string' ? record.at : '',
    data,
  };
}

function reservationOf(event: LiveEvent): Reservation | null {
  const r = event.data.reservation;
  return typeof r === 'object' && r !== null ? (r as Reservation) : null;
}

export function spotOf(event: LiveEvent): Spot | null {
  const s = event.data.spot;
  return typeof s === 'object' && s !== null ? (s as Spot) : null;
}

/** The notification a `notification.created` event brings (the relay sends it to its user). */
export function notificationOf(event: LiveEvent): Notification | null {
  if (event.type !== 'notification.created') return null;
  const n = event.data.notification;
  return typeof n === 'object' && n !== null && typeof (n as Notification).id === 'number'
    ? (n as Notification)
    : null;
}

export function statusOf(event: LiveEvent): SpotStatus | null {
  const status = event.data.status_now;
  return status === 'free' || status === 'reserved' || status === 'unavailable' ? status : null;
}

/** Which screens an event changes, for `viewer`. */
export function topicsFor(event: LiveEvent, viewer: Viewer): Set<Topic> {
  const topics = new Set<Topic>();
  const concernsMe = (r: Reservation | null) =>
    r !== null && (r.user_id === viewer.userId || viewer.mySpotIds.has(r.spot_id));
  switch (event.type) {
    case 'spot.updated': {
      topics.add('spots').add('residents');
      const spot = spotOf(event);
      if (spot && spot.owner?.id === viewer.userId) topics.add('me');
      break;
    }
    case 'availability.changed':
      topics.add('spots').add('utilization');
      break;
    case 'reservation.created':
    case 'reservation.cancelled':
      topics.add('spots').add('residents').add('utilization');
      if (concernsMe(reservationOf(event))) topics.add('me');
      break;
    case 'reservation.started':
    case 'reservation.ended':
      topics.add('spots');
      if (concernsMe(reservationOf(event))) topics.add('me');
      break;
    case 'reservation.settled':
      topics.add('ledger').add('residents');
      if (concernsMe(reservationOf(event))) topics.add('me');
      break;
    case 'credits.changed':
      topics.add('residents').add('ledger');
      if (event.data.user_id === viewer.userId) topics.add('me');
      break;
    case 'notification.created':
      topics.add('notifications');
      break;
    case 'reservation.no_show':
      // The spot is free again for the rest of the window, and money moved.
      topics.add('spots').add('residents').add('ledger').add('utilization');
      if (concernsMe(reservationOf(event))) topics.add('me');
      break;
    case 'reservation.checked_in':
      if (concernsMe(reservationOf(event))) topics.add('me');
      break;
    case 'request.matched':
      // Sent to its maker alone: their page (with their requests) and the garage changed.
      topics.add('spots').add('me');
      break;
    default:
      // A type this build does not know yet: refresh what a resident looks at most.
      topics.add('spots').add('me');
  }
  return topics;
}

/** The new balance when `event` tells the viewer theirs, else null. */
export function creditsFor(event: LiveEvent, viewer: Viewer): number | null {
  if (event.type !== 'credits.changed' || event.data.user_id !== viewer.userId) return null;
  return typeof event.data.credits === 'number' ? event.data.credits : null;
}
