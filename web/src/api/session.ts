// The signed-in session: a short-lived access token and a rotating refresh token.
//
// The refresh token lives in localStorage: the app is static files that may be served from
// another origin than the auth function (Knative gives each function its own URL), so an
// HttpOnly cookie set by the function would not be sent with the app's requests. The access
// token lives only in memory and lasts 10 minutes.
//
// Refresh tokens rotate and reusing a rotated one revokes the whole login, so refreshes must
// never race: within a tab concurrent callers share one request, and across tabs a Web Lock
// serializes them, each reading the newest token from storage inside the lock.

import { ApiError, networkError, type Problem } from './problems';
import type { Tokens } from './types';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface TokenStorage {
  get(): string | null;
  set(token: string | null): void;
}

/** Runs `task` holding a lock shared by every tab of the app (navigator.locks where available). */
export type LockRunner = <T>(task: () => Promise<T>) => Promise<T>;

export interface SessionOptions {
  refreshUrl: string;
  fetch: FetchLike;
  storage: TokenStorage;
  lock?: LockRunner;
  now?: () => number;
  /** Refresh this long before the access token expires. */
  marginMs?: number;
}

export const REFRESH_STORAGE_KEY = 'parkshare.refresh';

export function localTokenStorage(key = REFRESH_STORAGE_KEY): TokenStorage {
  return {
    get: () => {
      try {
        return localStorage.getItem(key);
      } catch {
        return null;
      }
    },
    set: (token) => {
      try {
        if (token === null) localStorage.removeItem(key);
        else localStorage.setItem(key, token);
      } catch {
        // Storage refused (private mode quota): the session then lasts as long as the tab.
      }
    },
  };
}

export function browserLock(name = 'parkshare.refresh'): LockRunner {
  return (task) =>
    typeof navigator !== 'undefined' && navigator.locks
      ? // The DOM typings wrap the callback's promise once more; the lock resolves with its value.
        (navigator.locks.request(name, task) as unknown as Promise<
          Awaited<ReturnType<typeof task>>
        >)
      : task();
}

export class AuthSession {
  private access: { token: string; expiresAt: number } | null = null;
  private inflight: Promise<string> | null = null;
  private listeners = new Set<() => void>();
  private readonly now: () => number;
  private readonly lock: LockRunner;
  private readonly marginMs: number;
  private signedIn: boolean;

  constructor(private readonly options: SessionOptions) {
    this.now = options.now ?? Date.now;
    this.lock = options.lock ?? ((task) => task());
    this.marginMs = options.marginMs ?? 60_000;
    this.signedIn = options.storage.get() !== null;
  }

  get isSignedIn(): boolean {
    return this.signedIn;
  }

  /** The current access token without refreshing (null when none or expired). */
  get currentAccessToken(): string | null {
    return this.access && this.access.expiresAt > this.now() ? this.access.token : null;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** After a login, an SSO exchange or a refresh. */
  accept(tokens: Tokens): void {
    this.access = { token: tokens.access_token, expiresAt: this.now() + tokens.expires_in * 1000 };
    this.options.storage.set(tokens.refresh_token);
    this.setSignedIn(true);
  }

  /** Forget everything (logout, refresh refused, another tab signed out). */
  clear(): void {
    this.access = null;
    this.options.storage.set(null);
    this.setSignedIn(false);
  }

  /** Another tab changed the stored refresh token (the `storage` event). */
  storageChanged(): void {
    if (this.options.storage.get() === null && this.signedIn) {
      this.access = null;
      this.setSignedIn(false);
    }
  }

  get refreshToken(): string | null {
    return this.options.storage.get();
  }

  /** An access token good for at least the margin, refreshing first when needed. */
  async accessToken(): Promise<string> {
    const access = this.access;
    if (access && access.expiresAt - this.marginMs > this.now()) return access.token;
    return this.refresh(access?.token ?? null);
  }

  /**
   * A new access token. `stale` is the token the caller found refused: if another caller has
   * refreshed since, its token is answered without a second refresh.
   */
  refresh(stale: string | null = null): Promise<string> {
    const access = this.access;
    if (
      stale !== null &&
      access &&
      access.token !== stale &&
      access.expiresAt - this.marginMs > this.now()
    ) {
      return Promise.resolve(access.token);
    }
    if (!this.inflight) {
      this.inflight = this.lock(() => this.rotate()).finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private async rotate(): Promise<string> {
    const refreshToken = this.options.storage.get();
    if (refreshToken === null) {
      this.clear();
      throw new ApiError(401, { code: 'invalid_token', detail: 'not signed in' });
    }
    let response: Response;
    try {
      response = await this.options.fetch(this.options.refreshUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
    } catch {
      // Offline is not signed out: keep the refresh token for when the network is back.
      throw networkError();
    }
    if (response.ok) {
      const tokens = (await response.json()) as Tokens;
      this.accept(tokens);
      return tokens.access_token;
    }
    const problem = await readProblem(response);
    if (response.status === 401 || response.status === 400 || response.status === 403) {
      this.clear();
    }
    throw new ApiError(response.status, problem);
  }

  private setSignedIn(value: boolean): void {
    if (this.signedIn === value) return;
    this.signedIn = value;
    for (const listener of this.listeners) listener();
  }
}

export async function readProblem(response: Response): Promise<Problem> {
  try {
    const body: unknown = await response.json();
    if (typeof body === 'object' && body !== null) return body as Problem;
  } catch {
    // Not JSON (a proxy's error page): fall through to the status alone.
  }
  return { status: response.status };
}
