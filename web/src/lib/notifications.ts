// The bell's list as events arrive: a notification told live is shown at once and counted
// unread, once however often the event arrives (the relay may replay it after a reconnect).

import i18next from 'i18next';
import type { Notification, NotificationKind, Notifications } from '../api/types';
import { formatRange, formatTime, parseInstant } from './time';

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

interface Facts {
  spot_label?: string;
  start?: string;
  end?: string;
  amount?: number;
  by?: string;
}

/**
 * A notification's title and body in the reader's language, from its kind and facts (the
 * server keeps English words beside them for mail and for clients that cannot); the
 * server's words when the facts are not there.
 */
export function notificationText(
  note: Notification,
  zone: string,
): { title: string; body: string } {
  const facts = (note.data ?? {}) as Facts;
  // Keys of the kind with `_` for `.` (i18next reads a dot as nesting).
  const key = `garage:notice.${note.kind.replace('.', '_')}`;
  const count = facts.amount ?? 0;
  if (!facts.spot_label || !facts.start || !facts.end || !i18next.exists(key, { count })) {
    return { title: note.title, body: note.body };
  }
  const start = parseInstant(facts.start);
  const end = parseInstant(facts.end);
  const place = i18next.t('garage:notice.place', {
    label: facts.spot_label,
    range: formatRange(start, end, zone),
  });
  const title = i18next.t(key, {
    count,
    start: formatTime(start, zone),
    end: formatTime(end, zone),
  });
  const body =
    note.kind === 'booking.cancelled'
      ? i18next.t('garage:notice.cancelledBy', {
          place,
          by: i18next.t(
            `garage:notice.by.${facts.by === 'parker' || facts.by === 'owner' ? facts.by : 'admin'}`,
          ),
        })
      : i18next.t('garage:notice.body', { place });
  return { title, body };
}
