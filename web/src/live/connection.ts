// One WebSocket to the relay for the whole app.
//
// The access token travels as the subprotocol list ["bearer", token] (browsers cannot set
// headers on a socket); a lobby display's as ["display", token]. The relay closes with 4401 when the token is bad or expires, 1013
// when this client fell too far behind, 4400 for a malformed last_id. Every event carries its
// stream id; reconnecting with ?last_id=<it> replays exactly what was missed.

import { parseEvent, type LiveEvent } from './events';

export type LiveState = 'live' | 'reconnecting' | 'offline';

export interface SocketHandlers {
  onOpen(): void;
  onMessage(data: string): void;
  onClose(code: number): void;
}

export interface SocketHandle {
  send(data: string): void;
  close(code?: number): void;
}

export type SocketFactory = (
  url: string,
  protocols: string[],
  handlers: SocketHandlers,
) => SocketHandle;

export const browserSocket: SocketFactory = (url, protocols, handlers) => {
  const ws = new WebSocket(url, protocols);
  ws.onopen = () => handlers.onOpen();
  ws.onmessage = (event: MessageEvent) => {
    if (typeof event.data === 'string') handlers.onMessage(event.data);
  };
  ws.onclose = (event: CloseEvent) => handlers.onClose(event.code);
  return {
    send: (data) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
    },
    close: (code) => ws.close(code),
  };
};

export const CLOSE_NORMAL = 1000;
export const CLOSE_TRY_AGAIN_LATER = 1013;
export const CLOSE_BAD_REQUEST = 4400;
export const CLOSE_BAD_TOKEN = 4401;
/** Our own code for a socket given up on because it stopped answering pings. */
export const CLOSE_SILENT = 4000;

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;

/**
 * The wait before reconnect attempt `attempt` (1, 2, …): exponential from 0.5 s, capped at
 * 30 s, with jitter (50–100 % of the step) so that a relay restart is not met by every
 * browser in the same millisecond.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(step * (0.5 + random() / 2));
}

/** The relay URL for a (re)connection, resuming after `lastId` when there is one. */
export function relayUrl(relay: string, lastId: string | null): string {
  const url = new URL(relay);
  if (lastId) url.searchParams.set('last_id', lastId);
  else url.searchParams.delete('last_id');
  return url.href;
}

export interface CloseDecision {
  /** Get a new access token before reconnecting. */
  refresh: boolean;
  /** Reconnect at once rather than after the backoff. */
  immediate: boolean;
  /** The relay refused our last_id: start from live events (and re-fetch the screens). */
  forgetLastId: boolean;
}

export function decideOnClose(code: number): CloseDecision {
  switch (code) {
    case CLOSE_BAD_TOKEN:
      return { refresh: true, immediate: true, forgetLastId: false };
    case CLOSE_TRY_AGAIN_LATER:
      return { refresh: false, immediate: true, forgetLastId: false };
    case CLOSE_BAD_REQUEST:
      return { refresh: false, immediate: false, forgetLastId: true };
    default:
      return { refresh: false, immediate: false, forgetLastId: false };
  }
}

export interface LiveOptions {
  relay: string;
  /** The first subprotocol, naming what the token is: `bearer` (the default) or `display`. */
  scheme?: 'bearer' | 'display';
  accessToken: () => Promise<string>;
  /** A new access token; `stale` is the one the relay refused. Throws when signed out. */
  refresh: (stale: string | null) => Promise<string>;
  socket?: SocketFactory;
  onEvent: (event: LiveEvent) => void;
  onState: (state: LiveState) => void;
  /** Connected again after a drop: what happened beyond the replayable history is unknown. */
  onReopen?: () => void;
  /** The session is over (refresh refused): stop for good. */
  isSignedOut?: (error: unknown) => boolean;
  random?: () => number;
  isOnline?: () => boolean;
  pingMs?: number;
  pongTimeoutMs?: number;
  /** Stay "live" this long across a planned reconnect (token renewal) before showing it. */
  graceMs?: number;
  /** A socket open this long counts as healthy: the next drop backs off from the start. */
  stableMs?: number;
}

export class LiveConnection {
  lastId: string | null = null;
  private state: LiveState | null = null;
  private attempt = 0;
  private generation = 0;
  private socket: SocketHandle | null = null;
  private token: string | null = null;
  private stopped = true;
  private everOpened = false;
  private open = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private stableTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: LiveOptions) {}

  get currentState(): LiveState | null {
    return this.state;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.open = false;
    this.generation += 1;
    this.clearTimers();
    this.socket?.close(CLOSE_NORMAL);
    this.socket = null;
  }

  /** The browser is online again: try now rather than at the end of the backoff. */
  online(): void {
    if (this.stopped) return;
    if (this.socket && this.open) {
      // The socket may have outlived the outage: say so, and let a ping prove it.
      this.setState('live');
      this.ping();
      return;
    }
    if (this.socket) return; // still connecting
    this.attempt = 0;
    void this.connect();
  }

  offline(): void {
    if (!this.stopped) this.setState('offline');
  }

  private isOnline(): boolean {
    return this.options.isOnline ? this.options.isOnline() : true;
  }

  private async connect(): Promise<void> {
    clearTimeout(this.retryTimer);
    const generation = ++this.generation;
    if (!this.isOnline()) {
      this.setState('offline');
      return;
    }
    if (this.state !== 'live') this.setState('reconnecting');
    let token: string;
    try {
      token = await this.options.accessToken();
    } catch (error) {
      if (generation === this.generation) this.failed(error);
      return;
    }
    if (generation !== this.generation || this.stopped) return;
    this.token = token;
    const factory = this.options.socket ?? browserSocket;
    const current = () => generation === this.generation && !this.stopped;
    this.socket = factory(
      relayUrl(this.options.relay, this.lastId),
      [this.options.scheme ?? 'bearer', token],
      {
        onOpen: () => current() && this.opened(),
        onMessage: (data) => current() && this.received(data),
        onClose: (code) => current() && this.closed(code),
      },
    );
  }

  private opened(): void {
    const reopened = this.everOpened;
    this.everOpened = true;
    this.open = true;
    clearTimeout(this.graceTimer);
    this.setState('live');
    this.stableTimer = setTimeout(() => {
      this.attempt = 0;
    }, this.options.stableMs ?? 10_000);
    this.pingTimer = setInterval(() => this.ping(), this.options.pingMs ?? 25_000);
    if (reopened) this.options.onReopen?.();
  }

  private ping(): void {
    this.socket?.send('ping');
    clearTimeout(this.pongTimer);
    // A network that vanished without a FIN leaves the socket "open" for minutes; silence
    // after a ping is how we notice.
    this.pongTimer = setTimeout(
      () => this.giveUpOnSilentSocket(),
      this.options.pongTimeoutMs ?? 10_000,
    );
  }

  private giveUpOnSilentSocket(): void {
    const socket = this.socket;
    this.generation += 1; // its late onclose is not ours to handle any more
    socket?.close(CLOSE_SILENT);
    this.closed(CLOSE_SILENT);
  }

  private received(data: string): void {
    clearTimeout(this.pongTimer);
    const event = parseEvent(data);
    if (!event) return; // the pong, or something we do not understand
    this.lastId = event.id;
    this.options.onEvent(event);
  }

  private closed(code: number): void {
    this.socket = null;
    this.open = false;
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    clearTimeout(this.stableTimer);
    if (this.stopped) return;
    this.attempt += 1;
    const decision = decideOnClose(code);
    if (decision.forgetLastId) this.lastId = null;
    if (!this.isOnline()) {
      this.setState('offline');
      return;
    }
    const immediate = decision.immediate && this.attempt <= 2;
    if (immediate && this.state === 'live') {
      clearTimeout(this.graceTimer);
      this.graceTimer = setTimeout(
        () => this.setState('reconnecting'),
        this.options.graceMs ?? 2_000,
      );
    } else {
      this.setState('reconnecting');
    }
    const go = async () => {
      if (decision.refresh) {
        try {
          await this.options.refresh(this.token);
        } catch (error) {
          this.failed(error);
          return;
        }
      }
      if (!this.stopped) await this.connect();
    };
    if (immediate) void go();
    else
      this.retryTimer = setTimeout(
        () => void go(),
        backoffDelay(this.attempt, this.options.random),
      );
  }

  /** Getting a token failed: stop when the session is over, else try again later. */
  private failed(error: unknown): void {
    if (this.options.isSignedOut?.(error)) {
      this.stop();
      this.setState('offline');
      return;
    }
    this.attempt += 1;
    this.setState(this.isOnline() ? 'reconnecting' : 'offline');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(
      () => void this.connect(),
      backoffDelay(this.attempt, this.options.random),
    );
  }

  private setState(state: LiveState): void {
    if (state !== 'reconnecting') clearTimeout(this.graceTimer);
    if (this.state === state) return;
    this.state = state;
    this.options.onState(state);
  }

  private clearTimers(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.graceTimer);
    clearTimeout(this.stableTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }
}
