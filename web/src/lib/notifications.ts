// The bell's list as events arrive: a notification told live is shown at once and counted
// unread, once however often the event arrives (the relay may replay it after a reconnect).

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

/** What each kind is called where a resident chooses what reaches them by email. */
export const KIND_LABELS: Record<NotificationKind, string> = {
  'booking.confirmed': 'My booking is confirmed',
  'spot.booked': 'Someone books my spot',
  'booking.cancelled': 'A booking is cancelled',
  'booking.starts_soon': 'My booking starts soon',
  'booking.ends_soon': 'My booking ends soon',
  'credits.earned': 'I earn credits',
  'request.matched': 'A request of mine is matched',
  'reservation.no_show': 'A no-show is recorded',
};

export const KINDS = Object.keys(KIND_LABELS) as NotificationKind[];
