import { useCallback, useEffect, useRef, useSyncExternalStore } from 'react';
import { useServices } from '../app/services';
import type { Entry } from '../lib/cache';

export interface QueryState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** When `data` was saved, if it is a saved answer shown for want of a network. */
  savedAt?: number;
  refetch: () => void;
}

const NONE: Entry<never> = Object.freeze({
  data: undefined,
  error: undefined,
  loading: false,
  stale: false,
});
const noSubscription = () => () => {};

/**
 * Data for `key` from the cache, fetched on first use and whenever a live event outdates it.
 * `onMount: 'refetch'` also asks again each time a screen shows it (cached data meanwhile),
 * for what no event announces (a resident joining, the audit log).
 */
export function useQuery<T>(
  key: string | null,
  fetcher: () => Promise<T>,
  options: { onMount?: 'cached' | 'refetch' } = {},
): QueryState<T> {
  const refetchOnMount = options.onMount === 'refetch';
  const { cache } = useServices();
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const subscribe = useCallback(
    (listener: () => void) => (key ? cache.subscribe(key, listener) : noSubscription()),
    [cache, key],
  );
  const entry = useSyncExternalStore(subscribe, () => (key ? cache.get<T>(key) : NONE));
  useEffect(() => {
    if (key && refetchOnMount) void cache.fetch(key, () => fetcherRef.current(), true);
  }, [cache, key, refetchOnMount]);
  useEffect(() => {
    if (key) void cache.fetch(key, () => fetcherRef.current());
  }, [cache, key, entry.stale]);
  const refetch = useCallback(() => {
    if (key) void cache.fetch(key, () => fetcherRef.current(), true);
  }, [cache, key]);
  return {
    data: entry.data,
    error: entry.error,
    loading: entry.loading,
    savedAt: entry.savedAt,
    refetch,
  };
}
