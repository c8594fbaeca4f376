import { describe, expect, it, vi } from 'vitest';
import { Api } from '../src/api/client';
import { ApiError } from '../src/api/problems';
import { AuthSession, type FetchLike, type TokenStorage } from '../src/api/session';
import { parseConfig } from '../src/config';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': status < 400 ? 'application/json' : 'application/problem+json' },
  });

function memoryStorage(initial: string | null): TokenStorage & { value: string | null } {
  const store = {
    value: initial,
    get: () => store.value,
    set: (token: string | null) => {
      store.value = token;
    },
  };
  return store;
}

/** A refresh endpoint that rotates: each refresh token works once, as the auth function's. */
function rotatingAuth() {
  let generation = 0;
  const valid = new Set(['r0']);
  const calls: string[] = [];
  const fetch: FetchLike = async (_url, init) => {
    const { refresh_token } = JSON.parse(String(init?.body)) as { refresh_token: string };
    calls.push(refresh_token);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (!valid.delete(refresh_token)) return json(401, { code: 'invalid_token', status: 401 });
    generation += 1;
    valid.add(`r${generation}`);
    return json(200, {
      access_token: `a${generation}`,
      refresh_token: `r${generation}`,
      token_type: 'bearer',
      expires_in: 600,
    });
  };
  return { fetch, calls };
}

describe('token refresh', () => {
  it('serializes concurrent refreshes into one request', async () => {
    const auth = rotatingAuth();
    const storage = memoryStorage('r0');
    const session = new AuthSession({
      refreshUrl: 'http://x/fn/auth/refresh',
      fetch: auth.fetch,
      storage,
    });
    const tokens = await Promise.all([
      session.accessToken(),
      session.accessToken(),
      session.refresh(null),
      session.accessToken(),
    ]);
    expect(auth.calls).toEqual(['r0']);
    expect(new Set(tokens)).toEqual(new Set(['a1']));
    expect(storage.value).toBe('r1');
  });

  it('answers a caller whose token was already replaced without refreshing again', async () => {
    const auth = rotatingAuth();
    const session = new AuthSession({
      refreshUrl: 'http://x/r',
      fetch: auth.fetch,
      storage: memoryStorage('r0'),
    });
    const first = await session.accessToken();
    const again = await session.refresh('an-older-token');
    expect(again).toBe(first);
    expect(auth.calls).toHaveLength(1);
  });

  it('refreshes ahead of expiry, not only after a 401', async () => {
    const auth = rotatingAuth();
    let now = 0;
    const session = new AuthSession({
      refreshUrl: 'http://x/r',
      fetch: auth.fetch,
      storage: memoryStorage('r0'),
      now: () => now,
      marginMs: 60_000,
    });
    expect(await session.accessToken()).toBe('a1');
    now = 500_000; // 100 s left of 600: still good
    expect(await session.accessToken()).toBe('a1');
    now = 560_000; // 40 s left: inside the margin
    expect(await session.accessToken()).toBe('a2');
    expect(auth.calls).toEqual(['r0', 'r1']);
  });

  it('reads the newest refresh token inside the lock (another tab may have rotated it)', async () => {
    const auth = rotatingAuth();
    const storage = memoryStorage('r0');
    // What navigator.locks does for two tabs: one holder at a time, in order.
    let queue = Promise.resolve();
    const lock = <T>(task: () => Promise<T>) => {
      const run = queue.then(task);
      queue = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    };
    const tabA = new AuthSession({ refreshUrl: 'http://x/r', fetch: auth.fetch, storage, lock });
    const tabB = new AuthSession({ refreshUrl: 'http://x/r', fetch: auth.fetch, storage, lock });
    const [a, b] = await Promise.all([tabA.refresh(), tabB.refresh()]);
    expect(auth.calls).toEqual(['r0', 'r1']);
    expect([a, b]).toEqual(['a1', 'a2']);
    expect(tabA.isSignedIn && tabB.isSignedIn).toBe(true);
  });

  it('signs out when the refresh token is refused, and tells the listeners', async () => {
    const storage = memoryStorage('stolen');
    const fetch: FetchLike = async () => json(401, { code: 'invalid_token', status: 401 });
    const session = new AuthSession({ refreshUrl: 'http://x/r', fetch, storage });
    const listener = vi.fn();
    session.subscribe(listener);
    await expect(session.accessToken()).rejects.toMatchObject({ code: 'invalid_token' });
    expect(session.isSignedIn).toBe(false);
    expect(storage.value).toBeNull();
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('stays signed in when the network is down during a refresh', async () => {
    const storage = memoryStorage('r0');
    const fetch: FetchLike = async () => {
      throw new TypeError('Failed to fetch');
    };
    const session = new AuthSession({ refreshUrl: 'http://x/r', fetch, storage });
    await expect(session.accessToken()).rejects.toMatchObject({ code: 'network' });
    expect(session.isSignedIn).toBe(true);
    expect(storage.value).toBe('r0');
  });
});

describe('the API client with a refused access token', () => {
  const config = parseConfig(
    {
      functions: Object.fromEntries(
        [
          'auth',
          'admin',
          'add-spot',
          'set-availability',
          'recurring',
          'list-spots',
          'reserve',
          'cancel',
          'settle',
          'me',
          'notifications',
          'calendar',
          'request',
          'checkin',
          'board',
          'map',
          'graphql',
        ].map((n) => [n, `/fn/${n}`]),
      ),
      relay: '/ws',
    },
    'http://app.test/',
  );

  it('refreshes once and retries the call with the new token', async () => {
    const seen: string[] = [];
    const auth = rotatingAuth();
    const fetch: FetchLike = async (url, init) => {
      if (url.endsWith('/refresh')) return auth.fetch(url, init);
      const header = new Headers(init?.headers).get('authorization') ?? '';
      seen.push(header);
      return header === 'Bearer a2'
        ? json(200, { credits: 50 })
        : json(401, { code: 'invalid_token', status: 401 });
    };
    const session = new AuthSession({
      refreshUrl: `${config.functions.auth}/refresh`,
      fetch,
      storage: memoryStorage('r0'),
    });
    const api = new Api(config, session, fetch);
    await expect(api.call('me', '')).resolves.toEqual({ credits: 50 });
    expect(seen).toEqual(['Bearer a1', 'Bearer a2']);
  });

  it('does not loop when the retried call is refused too', async () => {
    let calls = 0;
    const auth = rotatingAuth();
    const fetch: FetchLike = async (url, init) => {
      if (url.endsWith('/refresh')) return auth.fetch(url, init);
      calls += 1;
      return json(401, { code: 'invalid_token', status: 401, title: 'Invalid or expired token' });
    };
    const session = new AuthSession({
      refreshUrl: `${config.functions.auth}/refresh`,
      fetch,
      storage: memoryStorage('r0'),
    });
    const api = new Api(config, session, fetch);
    await expect(api.call('me', '')).rejects.toBeInstanceOf(ApiError);
    expect(calls).toBe(2);
  });

  it('builds every URL from config.json, relative to each function', () => {
    const session = new AuthSession({
      refreshUrl: 'x',
      fetch: async () => json(200, {}),
      storage: memoryStorage(null),
    });
    const api = new Api(config, session, async () => json(200, {}));
    expect(api.url('auth', '/login')).toBe('http://app.test/fn/auth/login');
    expect(
      api.url('list-spots', '', { start: '2026-12-01T10:00:00.000Z', available_only: true }),
    ).toBe('http://app.test/fn/list-spots?start=2026-12-01T10%3A00%3A00.000Z&available_only=true');
    expect(api.ssoStartUrl('b-1')).toBe('http://app.test/fn/auth/sso/start?building=b-1');
  });
});
