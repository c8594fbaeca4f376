import { describe, expect, it } from 'vitest';
import { offlineText } from '../src/components/OfflineBanner';
import { QueryCache } from '../src/lib/cache';
import { localSaver } from '../src/lib/offline';

class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

const network = new Error('network');
const refused = new Error('forbidden');

function offlineCache(storage: Storage, at: number) {
  return new QueryCache({
    saver: localSaver((key) => key === 'me', storage),
    isNetworkError: (error) => error === network,
    now: () => at,
  });
}

describe('what the app keeps for a start without a network', () => {
  it('shows a saved answer only once the network has failed, with when it was saved', async () => {
    const storage = new MemoryStorage();
    const first = offlineCache(storage, 1_000);
    await first.fetch('me', async () => ({ credits: 50 }));
    await first.fetch('other', async () => 'not kept');
    expect(first.lastContact).toBe(1_000);

    // The next start, online: the server's answer, never the saved one meanwhile.
    const online = offlineCache(storage, 2_000);
    const pending = online.fetch('me', async () => ({ credits: 47 }));
    expect(online.get('me').data).toBeUndefined();
    await pending;
    expect(online.get('me').data).toEqual({ credits: 47 });
    expect(online.get('me').savedAt).toBeUndefined();

    // The next start, offline: the last saved answer, marked, beside the error.
    const offline = offlineCache(storage, 3_000);
    await offline.fetch('me', async () => Promise.reject(network));
    await offline.fetch('other', async () => Promise.reject(network));
    expect(offline.get('me')).toMatchObject({ data: { credits: 47 }, savedAt: 2_000 });
    expect(offline.get('me').error).toBe(network);
    expect(offline.get('other').data).toBeUndefined();
    expect(offline.serverUnreachable).toBe(true);
    // A refusal is not an outage: nothing saved is shown for it.
    const denied = offlineCache(storage, 4_000);
    await denied.fetch('me', async () => Promise.reject(refused));
    expect(denied.get('me').data).toBeUndefined();
    expect(denied.serverUnreachable).toBe(false);
    // Reached again: live data, no mark.
    await offline.fetch('me', async () => ({ credits: 44 }), true);
    expect(offline.get('me').data).toEqual({ credits: 44 });
    expect(offline.get('me').savedAt).toBeUndefined();
    expect(offline.serverUnreachable).toBe(false);
  });

  it('forgets what it saved when the resident signs out', async () => {
    const storage = new MemoryStorage();
    storage.setItem('parkshare.refresh', 'kept apart');
    const cache = offlineCache(storage, 1_000);
    await cache.fetch('me', async () => ({ credits: 50 }));
    cache.clear();
    expect(cache.lastContact).toBeNull();
    const next = offlineCache(storage, 2_000);
    await next.fetch('me', async () => Promise.reject(network));
    expect(next.get('me').data).toBeUndefined();
    expect(storage.getItem('parkshare.refresh')).toBe('kept apart');
  });

  it('says since when the app is offline in the building’s time', () => {
    const since = Date.UTC(2026, 11, 4, 9, 41);
    expect(offlineText(since, since + 60_000, 'Europe/Paris')).toMatch(/^Offline since 10:41\./);
    expect(offlineText(since, since + 2 * 86_400_000, 'Europe/Paris')).toMatch(/Dec/);
    expect(offlineText(null, since, 'Europe/Paris')).toMatch(/Nothing is saved/);
  });
});
