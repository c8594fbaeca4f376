// The app's one live connection: events patch what they can at once (a balance, a spot's
// status) and outdate the screens they touch, which re-fetch together a moment later.

import { useEffect, useRef, useState } from 'react';
import type { Me, Notifications, SpotView } from '../api/types';
import { useServices } from '../app/services';
import { keys, prefixesFor } from '../data/keys';
import { LiveConnection, type LiveState } from '../live/connection';
import {
  creditsFor,
  notificationOf,
  spotOf,
  statusOf,
  topicsFor,
  type Topic,
  type Viewer,
} from '../live/events';
import { withArrived } from '../lib/notifications';

/** Events arriving together (a booking is three or four of them) make one re-fetch. */
const COALESCE_MS = 250;

export function useLive(me: Me | undefined): LiveState {
  const { config, session, cache } = useServices();
  const [state, setState] = useState<LiveState>('reconnecting');
  const viewerRef = useRef<Viewer | null>(null);
  viewerRef.current = me
    ? { userId: me.user.id, mySpotIds: new Set(me.spots.map((s) => s.id)) }
    : null;

  useEffect(() => {
    const pending = new Set<Topic>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const prefixes = prefixesFor(pending);
      pending.clear();
      cache.invalidatePrefix(...prefixes);
    };
    const connection = new LiveConnection({
      relay: config.relay,
      accessToken: () => session.accessToken(),
      refresh: (stale) => session.refresh(stale),
      isSignedOut: () => !session.isSignedIn,
      isOnline: () => navigator.onLine,
      onState: setState,
      // Back after a drop: anything beyond the relay's replay history would be missing.
      onReopen: () => cache.invalidatePrefix('spots:', 'me', 'admin:', keys.notifications),
      onEvent: (event) => {
        const viewer = viewerRef.current;
        if (!viewer) {
          pending.add('spots').add('me');
        } else {
          const credits = creditsFor(event, viewer);
          if (credits !== null)
            cache.patch<Me>(
              (k) => k === keys.me,
              (m) => (m.credits === credits ? m : { ...m, credits }),
            );
          for (const topic of topicsFor(event, viewer)) pending.add(topic);
        }
        // The bell rises at once; the re-fetch its topic asks for then makes the count exact.
        const note = notificationOf(event);
        if (note)
          cache.patch<Notifications>(
            (k) => k === keys.notifications,
            (list) => withArrived(list, note),
          );
        const spot = spotOf(event);
        const status = statusOf(event);
        if (spot && status) {
          cache.patch<SpotView[]>(
            (k) => k.startsWith('spots:'),
            (list) =>
              list.some((s) => s.id === spot.id && s.status_now !== status)
                ? list.map((s) => (s.id === spot.id ? { ...s, status_now: status } : s))
                : list,
          );
        }
        timer ??= setTimeout(flush, COALESCE_MS);
      },
    });
    connection.start();
    const online = () => connection.online();
    const offline = () => connection.offline();
    window.addEventListener('online', online);
    window.addEventListener('offline', offline);
    return () => {
      connection.stop();
      clearTimeout(timer);
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
    };
  }, [cache, config.relay, session]);

  return state;
}
