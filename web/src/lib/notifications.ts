// The bell's list as events arrive: a notification told live is shown at once and counted
// unread, once however often the event arrives (the relay may replay it after a reconnect).

import i18next from 'i18next';
import type { Notification, NotificationKind, Notifications } from '../api/types';

export function withArrived(list: Notifications, note: Notification): Notifications {
  if (list.notifications.some((n) => n.id === note.id)) return list;
  const notifications = [note, ...list.notifications].sort((a, b) => b.id - a.id);
  return { notifications, unread: list.unread + (note.read ? 0 : 1) };
}

/** The list once `ids` (or every one, with `'all'`) are read. */
export function withRead(list: Notifications, ids: readonly number[] | 'all'): Notifications {
  const hit = (n: Notification) => !n.read && (ids === 'all' || ids.includes(n.id));
  const changed = list.notifications.filter(hit).length;
  if (ids !== 'all' && changed === 0) return list;
  return {
    notifications: list.notifications.map((n) => (hit(n) ? { ...n, read: true } : n)),
    unread: ids === 'all' ? 0 : Math.max(0, list.unread - changed),
  };
}

// Catalogue keys of what each kind is called where a resident chooses what reaches them by
// email (garage:emailKinds.*).
const KIND_KEYS: Record<NotificationKind, string> = {
  'booking.confirmed': 'bookingConfirmed',
  'spot.booked': 'spotBooked',
  'booking.cancelled': 'bookingCancelled',
  'booking.starts_soon': 'bookingStartsSoon',
  'booking.ends_soon': 'bookingEndsSoon',
  'credits.earned': 'creditsEarned',
  'request.matched': 'requestMatched',
  'reservation.no_show': 'reservationNoShow',
};

export const KINDS = Object.keys(KIND_KEYS) as NotificationKind[];

/** What a kind is called where a resident chooses what reaches them by email. */
export function kindLabel(kind: NotificationKind): string {
  return i18next.t(`garage:emailKinds.${KIND_KEYS[kind]}`);
}

/** Every kind's label, each read in the current language when it is read. */
export const KIND_LABELS: Readonly<Record<NotificationKind, string>> = Object.defineProperties(
  {} as Record<NotificationKind, string>,
  Object.fromEntries(KINDS.map((kind) => [kind, { enumerable: true, get: () => kindLabel(kind) }])),
);
