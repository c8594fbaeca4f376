// Said at the top of every screen while the server cannot be reached (the device offline, or
// the last request failing for want of a network): since when, and that what shows is what
// the app last saw, not the garage now.

import i18next from 'i18next';
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { useServices } from '../app/services';
import { formatDateTime, formatTime, localDate } from '../lib/time';

function subscribeOnline(listener: () => void): () => void {
  window.addEventListener('online', listener);
  window.addEventListener('offline', listener);
  return () => {
    window.removeEventListener('online', listener);
    window.removeEventListener('offline', listener);
  };
}

export function offlineText(since: number | null, now: number, zone: string): string {
  if (since === null) return i18next.t('offline.nothingSaved');
  const when =
    localDate(since, zone) === localDate(now, zone)
      ? formatTime(since, zone)
      : formatDateTime(since, zone);
  return i18next.t('offline.since', { when });
}

export function OfflineBanner({ zone }: { zone: string }) {
  const { cache } = useServices();
  const online = useSyncExternalStore(subscribeOnline, () => navigator.onLine);
  const unreachable = useSyncExternalStore(
    (listener) => cache.subscribeNetwork(listener),
    () => cache.serverUnreachable,
  );
  // Back online after being offline: everything shown may be old, so ask again (not on the
  // first render, when the screens are fetching already).
  const wasOnline = useRef(online);
  useEffect(() => {
    if (online && !wasOnline.current) cache.invalidate(() => true);
    wasOnline.current = online;
  }, [cache, online]);
  if (online && !unreachable) return null;
  return (
    <p
      role="status"
      data-testid="offline"
      className="border-b border-amber-300 bg-amber-50 px-3 py-2 text-center text-sm font-medium text-amber-950 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100"
    >
      {offlineText(cache.lastContact, Date.now(), zone)}
    </p>
  );
}
