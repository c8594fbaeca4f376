// The data each screen reads, one hook per thing a person looks at.

import type { Api } from '../api/client';
import type { GarageMap, Me, Notifications, Pattern, SpotRequest, SpotView } from '../api/types';
import { HOUR_MS, toIso } from '../lib/time';
import { useServices } from '../app/services';
import { keys } from '../data/keys';
import { useQuery, type QueryState } from './useQuery';

export function useMe(): QueryState<Me> {
  const { api } = useServices();
  return useQuery(keys.me, () => api.me());
}

/** The caller's requests, the waiting ones first. */
export function useMyRequests(): QueryState<SpotRequest[]> {
  const { api } = useServices();
  return useQuery(keys.requests, async () => (await api.myRequests()).requests);
}

export interface SpotWindow {
  start: string;
  end: string;
  availableOnly?: boolean;
}

/** The garage over a window; `window` is called at each fetch so "from now" stays now. */
export function useSpots(key: string | null, window: () => SpotWindow): QueryState<SpotView[]> {
  const { api } = useServices();
  return useQuery(key, async () => (await api.listSpots(window())).spots);
}

/** The garage's default list: from now (at each fetch) for 24 hours. */
export function nextDayKey(availableOnly: boolean): string {
  return keys.garage(`next24:${availableOnly}`);
}

export function nextDayWindow(availableOnly: boolean): SpotWindow {
  const at = Date.now();
  return { start: toIso(at), end: toIso(at + 24 * HOUR_MS), availableOnly };
}

export function fetchNextDay(api: Api, availableOnly: boolean): () => Promise<SpotView[]> {
  return async () => (await api.listSpots(nextDayWindow(availableOnly))).spots;
}

/** The caller's recurring patterns (GET /fn/recurring). */
export function usePatterns(): QueryState<Pattern[]> {
  const { api } = useServices();
  return useQuery(keys.patterns, async () => (await api.patterns()).patterns);
}

/**
 * Each spot's weekly sharing in words, by spot id. Asked again each time a screen shows it
 * (no event says that another owner's pattern changed), the cached answer shown meanwhile.
 */
export function useRecurringSummaries(): QueryState<Record<string, string>> {
  const { api } = useServices();
  return useQuery(keys.recurringSummaries, () => api.recurringSummaries(), { onMount: 'refetch' });
}

/** The newest page of the caller's notifications and their unread count (the bell). */
export function useNotifications(): QueryState<Notifications> {
  const { api } = useServices();
  return useQuery(keys.notifications, () => api.notifications({ limit: 30 }));
}

/** The garage map's levels and where spots are drawn, asked again each time a screen shows it
 * (no event announces the admin's drawing). */
export function useGarageMap(): QueryState<GarageMap> {
  const { api } = useServices();
  return useQuery(keys.garageMap, () => api.garageMap(), { onMount: 'refetch' });
}
