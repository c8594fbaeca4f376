// What the resident was told: newest first, unread ones marked, read one by one or all at
// once, older pages on demand. New ones appear live (the bell's list is this list).

import { notificationText } from '../lib/notifications';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Me, Notification, Notifications } from '../api/types';
import { useServices } from '../app/services';
import { Button, Card, EmptyState, ErrorNotice, Loading, PageTitle } from '../components/ui';
import { keys } from '../data/keys';
import { useNotifications } from '../hooks/data';
import { useAction } from '../hooks/useAction';
import { useNow } from '../hooks/useNow';
import { withRead } from '../lib/notifications';
import { href } from '../lib/router';
import { formatWhen, parseInstant } from '../lib/time';

export function NotificationsScreen({ me }: { me: Me }) {
  const { t } = useTranslation('garage');
  const { api, cache } = useServices();
  const list = useNotifications();
  const [older, setOlder] = useState<Notification[]>([]);
  const [exhausted, setExhausted] = useState(false);
  const now = useNow();

  const markRead = useAction(async (ids: number[] | 'all') => {
    const undo = cache.patch<Notifications>(
      (k) => k === keys.notifications,
      (l) => withRead(l, ids),
    );
    setOlder((notes) => withRead({ notifications: notes, unread: 0 }, ids).notifications);
    try {
      await api.markNotificationsRead(ids === 'all' ? { all: true } : { ids });
    } catch (error) {
      undo();
      throw error;
    }
    cache.invalidatePrefix(keys.notifications);
  });

  const more = useAction(async () => {
    const shown = [...(list.data?.notifications ?? []), ...older];
    const last = shown[shown.length - 1];
    if (!last) return;
    const page = await api.notifications({ before: last.id, limit: 30 });
    setOlder((notes) => [...notes, ...page.notifications]);
    if (page.notifications.length < 30) setExhausted(true);
  });

  if (!list.data) {
    return list.error ? <ErrorNotice error={list.error} onRetry={list.refetch} /> : <Loading />;
  }
  const latest = list.data.notifications;
  const seen = new Set(latest.map((n) => n.id));
  const notes = [...latest, ...older.filter((n) => !seen.has(n.id))];
  const unread = list.data.unread;

  return (
    <div className="space-y-4">
      <PageTitle
        aside={
          unread > 0 ? t('notifications.unread', { count: unread }) : t('notifications.allRead')
        }
      >
        {t('notifications.title')}
      </PageTitle>
      <div className="flex flex-wrap items-center gap-3">
        <Button
          variant="secondary"
          disabled={unread === 0}
          pending={markRead.pending}
          onClick={() => void markRead.run('all').catch(() => {})}
        >
          {t('notifications.markAllRead')}
        </Button>
        <a
          href={href('account')}
          className="text-sm font-medium text-blue-800 underline dark:text-sky-300"
        >
          {t('notifications.emailChoice')}
        </a>
      </div>
      <ErrorNotice error={markRead.error ?? more.error} />
      {notes.length === 0 ? (
        <EmptyState title={t('notifications.empty')}>{t('notifications.emptyHint')}</EmptyState>
      ) : (
        <ul className="space-y-2" aria-label={t('notifications.list')}>
          {notes.map((note) => (
            <NotificationItem
              key={note.id}
              note={note}
              zone={me.building.timezone}
              now={now}
              onRead={() => void markRead.run([note.id]).catch(() => {})}
            />
          ))}
        </ul>
      )}
      {latest.length >= 30 && !exhausted && (
        <Button variant="secondary" pending={more.pending} onClick={() => void more.run()}>
          {t('notifications.older')}
        </Button>
      )}
    </div>
  );
}

function NotificationItem({
  note,
  zone,
  now,
  onRead,
}: {
  note: Notification;
  zone: string;
  now: number;
  onRead: () => void;
}) {
  const text = notificationText(note, zone);
  const { t } = useTranslation('garage');
  return (
    <Card
      as="li"
      data-testid="notification"
      data-kind={note.kind}
      data-read={note.read}
      className={note.read ? '' : 'border-l-4 border-l-blue-700 dark:border-l-sky-400'}
    >
      <div className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="font-semibold">
            {!note.read && <span className="sr-only">{t('notifications.unreadMark')} </span>}
            {text.title}
          </p>
          <p className="text-sm text-slate-700 dark:text-slate-300">{text.body}</p>
          <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
            <time dateTime={note.at}>{formatWhen(parseInstant(note.at), now, zone)}</time>
          </p>
        </div>
        {!note.read && (
          <Button variant="secondary" size="sm" onClick={onRead}>
            {t('notifications.markRead')}
          </Button>
        )}
      </div>
    </Card>
  );
}
