import { describe, expect, it } from 'vitest';
import { QueryCache } from '../src/lib/cache';

const deferred = <T>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};

describe('QueryCache', () => {
  it('fetches once while fresh and again after invalidation, only for watched keys', async () => {
    const cache = new QueryCache();
    let calls = 0;
    const fetcher = async () => ++calls;
    await cache.fetch('me', fetcher);
    await cache.fetch('me', fetcher);
    expect(calls).toBe(1);
    const stop = cache.subscribe('me', () => {});
    cache.invalidatePrefix('me');
    await Promise.resolve();
    expect(calls).toBe(2);
    stop();
    cache.invalidatePrefix('me');
    expect(calls).toBe(2);
    expect(cache.get('me').stale).toBe(true);
  });

  it('undoes an optimistic change', async () => {
    const cache = new QueryCache();
    await cache.fetch('me', async () => ({ credits: 50 }));
    const undo = cache.patch<{ credits: number }>(
      (k) => k === 'me',
      (m) => ({ credits: m.credits - 3 }),
    );
    expect(cache.get<{ credits: number }>('me').data?.credits).toBe(47);
    undo();
    expect(cache.get<{ credits: number }>('me').data?.credits).toBe(50);
  });

  it('does not let an answer sent before an optimistic change overwrite it', async () => {
    const cache = new QueryCache();
    await cache.fetch('spots:a', async () => 'before');
    const slow = deferred<string>();
    const inFlight = cache.fetch('spots:a', () => slow.promise, true);
    cache.patch<string>(
      (k) => k.startsWith('spots:'),
      () => 'optimistic',
    );
    slow.resolve('stale answer');
    await inFlight;
    expect(cache.get('spots:a').data).toBe('optimistic');
  });

  it('re-fetches instead of undoing over newer data', async () => {
    const cache = new QueryCache();
    let answer = 'server v1';
    await cache.fetch('k', async () => answer);
    cache.subscribe('k', () => {});
    const undo = cache.patch<string>(
      () => true,
      () => 'optimistic',
    );
    answer = 'server v2';
    await cache.fetch('k', async () => answer, true);
    undo();
    await Promise.resolve();
    expect(cache.get('k').data).toBe('server v2');
  });

  it('keeps the last good data beside an error', async () => {
    const cache = new QueryCache();
    await cache.fetch('k', async () => 'good');
    await cache.fetch('k', async () => Promise.reject(new Error('down')), true);
    expect(cache.get('k').data).toBe('good');
    expect(cache.get('k').error).toBeInstanceOf(Error);
  });
});
