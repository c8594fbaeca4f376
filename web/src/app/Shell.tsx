// The signed-in frame: header (building, balance, live state, theme, account), the main
// navigation (a bottom bar on phones, inline on wider screens) and the current screen.

import { useEffect, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Icon, type IconName } from '../components/icons';
import { LiveIndicator } from '../components/LiveIndicator';
import { NotificationBell } from '../components/NotificationBell';
import { OfflineBanner } from '../components/OfflineBanner';
import { ThemeToggle } from '../components/ThemeToggle';
import { ErrorNotice, Loading } from '../components/ui';
import { fetchNextDay, nextDayKey, useMe } from '../hooks/data';
import { useServices } from './services';
import { keys } from '../data/keys';
import { adoptSavedLanguage } from '../i18n';
import { useLive } from '../hooks/useLive';
import type { useTheme } from '../hooks/useTheme';
import { href, type Route, type RouteName } from '../lib/router';
import { AccountScreen } from '../screens/AccountScreen';
import { AdminScreen } from '../screens/AdminScreen';
import { CreditsScreen } from '../screens/CreditsScreen';
import { GarageScreen } from '../screens/GarageScreen';
import { MySpotsScreen } from '../screens/MySpotsScreen';
import { NotificationsScreen } from '../screens/NotificationsScreen';
import { ReservationsScreen } from '../screens/ReservationsScreen';
import { SpotScreen } from '../screens/SpotScreen';
import type { Me } from '../api/types';

interface NavItem {
  route: RouteName;
  path: string;
  icon: IconName;
  /** Shown in full from md up; on phones only `short` (the name stays whole for screen readers). */
  lead?: string;
  short: string;
}

// Catalogue keys (common namespace) of each item's words.
const NAV: NavItem[] = [
  { route: 'garage', path: 'garage', icon: 'garage', short: 'nav.garage' },
  {
    route: 'reservations',
    path: 'reservations',
    icon: 'calendar',
    lead: 'nav.myLead',
    short: 'nav.reservations',
  },
  { route: 'my-spots', path: 'my-spots', icon: 'key', lead: 'nav.myLead', short: 'nav.spots' },
  { route: 'credits', path: 'credits', icon: 'coins', short: 'nav.credits' },
];

function NavLink({ item, active }: { item: NavItem; active: boolean }) {
  const { t } = useTranslation();
  return (
    <a
      href={href(item.path)}
      aria-current={active ? 'page' : undefined}
      className={`flex flex-1 flex-col items-center gap-0.5 rounded-lg px-1 py-1.5 text-[11px] font-medium md:flex-none md:flex-row md:gap-1.5 md:px-2 md:py-2 md:text-sm xl:px-3 ${
        active
          ? 'text-blue-800 md:bg-blue-50 dark:text-sky-300 md:dark:bg-slate-800'
          : 'text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800'
      }`}
    >
      <Icon name={item.icon} className="h-6 w-6 md:h-5 md:w-5" />
      <span>
        {item.lead && <span className="sr-only 2xl:not-sr-only">{t(item.lead)}</span>}
        <span className="capitalize 2xl:normal-case">{t(item.short)}</span>
      </span>
    </a>
  );
}

function Screen({ route, me }: { route: Route; me: Me }) {
  switch (route.name) {
    case 'spot':
      return <SpotScreen me={me} spotId={route.param} />;
    case 'reservations':
      return <ReservationsScreen me={me} />;
    case 'my-spots':
      return <MySpotsScreen me={me} />;
    case 'credits':
      return <CreditsScreen me={me} />;
    case 'account':
      return <AccountScreen me={me} />;
    case 'notifications':
      return <NotificationsScreen me={me} />;
    case 'admin':
      return me.user.role === 'admin' ? (
        <AdminScreen me={me} section={route.param} />
      ) : (
        <GarageScreen me={me} />
      );
    default:
      return <GarageScreen me={me} view={route.param === 'map' ? 'map' : 'list'} />;
  }
}

export function Shell({ route, theme }: { route: Route; theme: ReturnType<typeof useTheme> }) {
  const { t } = useTranslation();
  const { api, cache } = useServices();
  const me = useMe();
  const live = useLive(me.data);
  // The garage is the home screen: ask for it beside `me` rather than after it.
  useEffect(() => {
    void cache.fetch(nextDayKey(false), fetchNextDay(api, false));
  }, [api, cache]);
  // The language the resident chose on another device, unless this one has its own.
  // Through the cache: the account screen's email settings then read the same answer.
  useEffect(() => {
    void cache
      .fetch(keys.notificationPreferences, () => api.notificationPreferences())
      .then((saved) => (saved ? adoptSavedLanguage(saved.locale) : undefined));
  }, [api, cache]);
  const items: NavItem[] =
    me.data?.user.role === 'admin'
      ? [...NAV, { route: 'admin', path: 'admin', icon: 'shield', short: 'nav.admin' }]
      : NAV;
  const current: RouteName = route.name === 'spot' ? 'garage' : route.name;

  let content: ReactNode;
  if (me.data) content = <Screen route={route} me={me.data} />;
  else if (me.error) content = <ErrorNotice error={me.error} onRetry={me.refetch} />;
  else content = <Loading />;

  return (
    <div className="min-h-dvh">
      <a
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
        className="sr-only focus:not-sr-only focus:fixed focus:left-2 focus:top-2 focus:z-50 focus:rounded-lg focus:bg-white focus:px-3 focus:py-2 focus:text-slate-900"
      >
        {t('nav.skip')}
      </a>
      <header className="sticky top-0 z-30 border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-950">
        <div className="mx-auto flex max-w-5xl items-center gap-2 px-3 py-2 md:gap-4 md:px-4">
          <a href={href('garage')} className="flex items-center gap-2 rounded-lg font-bold">
            <span
              aria-hidden="true"
              className="grid h-8 w-8 place-items-center rounded-lg bg-blue-700 text-white dark:bg-sky-400 dark:text-slate-950"
            >
              P
            </span>
            <span className="sr-only sm:not-sr-only md:sr-only lg:not-sr-only">
              {t('nav.home')}
            </span>
          </a>
          {me.data && (
            <p
              translate="no"
              className="hidden min-w-0 max-w-48 truncate text-sm text-slate-600 2xl:block dark:text-slate-400"
            >
              {me.data.building.name} · {me.data.building.timezone}
            </p>
          )}
          <nav
            aria-label={t('nav.main')}
            className="fixed inset-x-0 bottom-0 z-30 flex border-t border-slate-200 bg-white px-1 pb-[env(safe-area-inset-bottom)] md:static md:ml-2 md:flex-1 md:border-0 md:bg-transparent md:p-0 dark:border-slate-800 dark:bg-slate-950 md:dark:bg-transparent"
          >
            {items.map((item) => (
              <NavLink key={item.route} item={item} active={current === item.route} />
            ))}
          </nav>
          <div className="ml-auto flex items-center gap-1 md:ml-0 md:gap-2">
            {me.data && (
              <p
                className="flex items-center gap-1 rounded-full bg-amber-100 px-2.5 py-1 text-sm font-semibold text-amber-950 dark:bg-amber-900/60 dark:text-amber-100"
                title={t('balance.title')}
              >
                <Icon name="coins" className="h-4 w-4" />
                <span className="sr-only">{t('balance.lead')}</span>
                <span data-testid="credits">{me.data.credits}</span>
                <span className="sr-only">{t('balance.unit')}</span>
              </p>
            )}
            <LiveIndicator state={live} />
            {me.data && <NotificationBell active={current === 'notifications'} />}
            <ThemeToggle theme={theme.theme} onToggle={theme.toggle} />
            <a
              href={href('account')}
              aria-current={current === 'account' ? 'page' : undefined}
              className={`flex items-center gap-2 rounded-lg p-2 text-sm font-medium hover:bg-slate-100 dark:hover:bg-slate-800 ${current === 'account' ? 'text-blue-800 dark:text-sky-300' : 'text-slate-700 dark:text-slate-200'}`}
            >
              <Icon name="user" />
              <span className="sr-only xl:not-sr-only">{t('nav.account')}</span>
            </a>
          </div>
        </div>
      </header>
      <OfflineBanner zone={me.data?.building.timezone ?? 'UTC'} />
      <main
        id="main"
        tabIndex={-1}
        className="mx-auto max-w-5xl px-3 pb-28 pt-4 outline-none md:px-4 md:pb-12 md:pt-6"
      >
        {content}
      </main>
    </div>
  );
}
