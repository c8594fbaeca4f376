// A small cache of what the screens fetched, keyed by strings like "me" or "spots:…".
//
// Live events invalidate keys by prefix (mounted screens re-fetch, others on their next
// mount); optimistic updates patch entries and hand back an undo that restores the entry
// unless something newer has replaced it meanwhile.

import type { Saver } from './offline';

export interface Entry<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Set by invalidate: the data may be outdated, re-fetch on next use. */
  stale: boolean;
  /** Set when `data` is what was saved at that time, shown because the server is unreachable. */
  savedAt?: number;
}

export interface CacheOptions {
  /** Keeps answers of some keys for when the network is gone (lib/offline.ts). */
  saver?: Saver;
  /** Whether an error means the server could not be reached at all. */
  isNetworkError?: (error: unknown) => boolean;
  now?: () => number;
}

type Fetcher<T> = () => Promise<T>;

const EMPTY: Entry<never> = Object.freeze({
  data: undefined,
  error: undefined,
  loading: false,
  stale: true,
});

export class QueryCache {
  private readonly saver: Saver | undefined;
  private readonly isNetworkError: (error: unknown) => boolean;
  private readonly now: () => number;
  private unreachable = false;
  private networkListeners = new Set<() => void>();
  private entries = new Map<string, Entry<unknown>>();
  private fetchers = new Map<string, Fetcher<unknown>>();
  private listeners = new Map<string, Set<() => void>>();
  private sequence = new Map<string, number>();

  constructor(options: CacheOptions = {}) {
    this.saver = options.saver;
    this.isNetworkError = options.isNetworkError ?? (() => false);
    this.now = options.now ?? Date.now;
  }

  /** Whether the latest fetch failed for want of a network (a later success clears it). */
  get serverUnreachable(): boolean {
    return this.unreachable;
  }

  /** When the server last answered a kept key (this run or an earlier one). */
  get lastContact(): number | null {
    return this.saver?.lastContact() ?? null;
  }

  subscribeNetwork(listener: () => void): () => void {
    this.networkListeners.add(listener);
    return () => {
      this.networkListeners.delete(listener);
    };
  }

  private setUnreachable(value: boolean): void {
    if (this.unreachable === value) return;
    this.unreachable = value;
    for (const listener of this.networkListeners) listener();
  }

  get<T>(key: string): Entry<T> {
    return (this.entries.get(key) as Entry<T> | undefined) ?? EMPTY;
  }

  subscribe(key: string, listener: () => void): () => void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  private isWatched(key: string): boolean {
    return (this.listeners.get(key)?.size ?? 0) > 0;
  }

  private write<T>(key: string, entry: Entry<T>): void {
    this.entries.set(key, entry as Entry<unknown>);
    for (const listener of this.listeners.get(key) ?? []) listener();
  }

  /** Fetches `key` unless fresh data is there (or `force`). Only the latest answer is kept. */
  fetch<T>(key: string, fetcher: Fetcher<T>, force = false): Promise<T | undefined> {
    this.fetchers.set(key, fetcher as Fetcher<unknown>);
    const current = this.get<T>(key);
    const settled = current.data !== undefined || current.error !== undefined;
    if (!force && settled && !current.stale) return Promise.resolve(current.data);
    if (!force && current.loading) return Promise.resolve(current.data);
    const sequence = (this.sequence.get(key) ?? 0) + 1;
    this.sequence.set(key, sequence);
    this.write(key, { ...current, loading: true });
    return fetcher().then(
      (data) => {
        if (this.saver?.keeps(key)) this.saver.save(key, data, this.now());
        this.setUnreachable(false);
        if (this.sequence.get(key) === sequence)
          this.write(key, { data, error: undefined, loading: false, stale: false });
        return data;
      },
      (error: unknown) => {
        const offline = this.isNetworkError(error);
        if (this.sequence.get(key) === sequence) {
          // Keep showing the last good data beside the error; with none this run and no
          // network, what was saved the last time, marked with when.
          const entry = this.get<T>(key);
          const saved =
            offline && entry.data === undefined && this.saver?.keeps(key)
              ? this.saver.load<T>(key)
              : null;
          this.write(key, {
            ...entry,
            ...(saved ? { data: saved.data, savedAt: saved.savedAt } : {}),
            error,
            loading: false,
            stale: false,
          });
        }
        if (offline) this.setUnreachable(true);
        return undefined;
      },
    );
  }

  /** Marks matching keys outdated; the ones a screen shows are fetched again now. */
  invalidate(match: (key: string) => boolean): void {
    for (const [key, entry] of this.entries) {
      if (!match(key)) continue;
      this.entries.set(key, { ...entry, stale: true });
      const fetcher = this.fetchers.get(key);
      if (fetcher && this.isWatched(key)) void this.fetch(key, fetcher, true);
    }
  }

  invalidatePrefix(...prefixes: string[]): void {
    this.invalidate((key) => prefixes.some((prefix) => key.startsWith(prefix)));
  }

  /** Replaces the data of matching keys that have some; returns the undo. */
  patch<T>(match: (key: string) => boolean, update: (data: T) => T): () => void {
    const undo: [string, unknown, unknown][] = [];
    for (const [key, entry] of this.entries) {
      if (!match(key) || entry.data === undefined) continue;
      const next = update(entry.data as T);
      if (next === entry.data) continue;
      undo.push([key, entry.data, next]);
      // A fetch already in flight answered before this change: its answer must not win.
      this.sequence.set(key, (this.sequence.get(key) ?? 0) + 1);
      this.write(key, { ...entry, data: next, loading: false });
    }
    return () => {
      for (const [key, before, after] of undo) {
        const entry = this.entries.get(key);
        if (entry && entry.data === after) this.write(key, { ...entry, data: before });
        else if (entry) this.invalidate((k) => k === key);
      }
    };
  }

  /** Forgets everything, the saved answers too (a sign-out: the next resident sees none). */
  clear(): void {
    this.saver?.clear();
    this.setUnreachable(false);
    this.entries.clear();
    this.fetchers.clear();
    this.sequence.clear();
    for (const set of this.listeners.values()) for (const listener of set) listener();
  }
}
