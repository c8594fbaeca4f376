// The header's bell: the caller's unread count, rising live as notifications arrive
// (useLive patches the list the count comes from), and the way to the notifications page.

import { useNotifications } from '../hooks/data';
import { href } from '../lib/router';
import { Icon } from './icons';
import { useTranslation } from 'react-i18next';

export function NotificationBell({ active }: { active: boolean }) {
  const { t } = useTranslation();
  const list = useNotifications();
  const unread = list.data?.unread ?? 0;
  const shown = unread > 99 ? '99+' : String(unread);
  return (
    <a
      href={href('notifications')}
      aria-current={active ? 'page' : undefined}
      data-testid="bell"
      data-unread={unread}
      className={`relative flex items-center rounded-lg p-2 hover:bg-slate-100 dark:hover:bg-slate-800 ${active ? 'text-blue-800 dark:text-sky-300' : 'text-slate-700 dark:text-slate-200'}`}
    >
      <Icon name="bell" />
      <span className="sr-only">
        {unread > 0 ? t('bell.unread', { count: unread }) : t('bell.label')}
      </span>
      {unread > 0 && (
        <span
          aria-hidden="true"
          data-testid="unread"
          className="absolute -right-0.5 -top-0.5 min-w-5 rounded-full bg-red-700 px-1 text-center text-[11px] font-bold leading-5 text-white dark:bg-red-400 dark:text-slate-950"
        >
          {shown}
        </span>
      )}
    </a>
  );
}
