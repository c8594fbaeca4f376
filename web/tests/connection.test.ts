import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  LiveConnection,
  backoffDelay,
  decideOnClose,
  relayUrl,
  type LiveState,
  type SocketFactory,
  type SocketHandlers,
} from '../src/live/connection';
import type { LiveEvent } from '../src/live/events';

describe('backoff', () => {
  it('doubles from half a second up to 30 s, with jitter between half and all of a step', () => {
    expect(backoffDelay(1, () => 1)).toBe(500);
    expect(backoffDelay(2, () => 1)).toBe(1000);
    expect(backoffDelay(5, () => 1)).toBe(8000);
    expect(backoffDelay(30, () => 1)).toBe(30_000);
    expect(backoffDelay(3, () => 0)).toBe(1000);
  });
});

describe('relay URL', () => {
  it('adds last_id when resuming and keeps the rest of the URL', () => {
    expect(relayUrl('ws://127.0.0.1:8080/ws', null)).toBe('ws://127.0.0.1:8080/ws');
    expect(relayUrl('wss://relay.example.com/', '1733050000000-3')).toBe(
      'wss://relay.example.com/?last_id=1733050000000-3',
    );
    expect(relayUrl('wss://relay.example.com/ws?x=1&last_id=1-0', '2-0')).toBe(
      'wss://relay.example.com/ws?x=1&last_id=2-0',
    );
  });
});

describe('what a close code means', () => {
  it('refreshes the token on 4401, reconnects at once on 1013, forgets last_id on 4400', () => {
    expect(decideOnClose(4401)).toEqual({ refresh: true, immediate: true, forgetLastId: false });
    expect(decideOnClose(1013)).toEqual({ refresh: false, immediate: true, forgetLastId: false });
    expect(decideOnClose(4400)).toEqual({ refresh: false, immediate: false, forgetLastId: true });
    expect(decideOnClose(1006)).toEqual({ refresh: false, immediate: false, forgetLastId: false });
  });
});

/** Sockets the test opens, messages and closes by hand. */
function socketLab() {
  const opened: {
    url: string;
    protocols: string[];
    handlers: SocketHandlers;
    sent: string[];
    closed: number | null;
  }[] = [];
  const factory: SocketFactory = (url, protocols, handlers) => {
    const socket = {
      url,
      protocols,
      handlers,
      sent: [] as string[],
      closed: null as number | null,
    };
    opened.push(socket);
    return {
      send: (d) => socket.sent.push(d),
      close: (code) => void (socket.closed = code ?? 1000),
    };
  };
  return { opened, factory, last: () => opened[opened.length - 1]! };
}

const event = (id: string, type = 'spot.updated'): string =>
  JSON.stringify({ id, type, building_id: 'b', at: '2026-12-01T10:00:00Z', data: {} });

describe('LiveConnection', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function connect(overrides: Partial<ConstructorParameters<typeof LiveConnection>[0]> = {}) {
    const lab = socketLab();
    const states: LiveState[] = [];
    const events: LiveEvent[] = [];
    let token = 't1';
    const refresh = vi.fn(async () => (token = `t${Number(token.slice(1)) + 1}`));
    const connection = new LiveConnection({
      relay: 'ws://host/ws',
      accessToken: async () => token,
      refresh,
      socket: lab.factory,
      onEvent: (e) => events.push(e),
      onState: (s) => states.push(s),
      random: () => 1,
      ...overrides,
    });
    return { lab, states, events, refresh, connection };
  }

  it('authenticates with the bearer subprotocol and is live once open', async () => {
    const { lab, states, connection } = connect();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(lab.last().protocols).toEqual(['bearer', 't1']);
    expect(lab.last().url).toBe('ws://host/ws');
    lab.last().handlers.onOpen();
    expect(states).toEqual(['reconnecting', 'live']);
  });

  it('speaks as a lobby display with the display subprotocol, and stops once refused', async () => {
    class Refused extends Error {}
    const { lab, states, connection } = connect({
      scheme: 'display',
      accessToken: async () => 'screen-token',
      refresh: async () => {
        throw new Refused();
      },
      isSignedOut: (error) => error instanceof Refused,
    });
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(lab.last().protocols).toEqual(['display', 'screen-token']);
    lab.last().handlers.onOpen();
    // Revoked: 4401, the refresh refuses, and nothing reconnects any more.
    lab.last().handlers.onClose(4401);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lab.opened).toHaveLength(1);
    expect(states.at(-1)).toBe('offline');
  });

  it('resumes after the last event seen when the network drops, after a backoff', async () => {
    const { lab, states, events, connection } = connect();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    lab.last().handlers.onOpen();
    lab.last().handlers.onMessage(event('5-0'));
    lab.last().handlers.onMessage('{"type":"pong"}');
    lab.last().handlers.onMessage(event('7-1'));
    expect(events.map((e) => e.id)).toEqual(['5-0', '7-1']);
    lab.last().handlers.onClose(1006);
    expect(states.at(-1)).toBe('reconnecting');
    expect(lab.opened).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(lab.opened).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(lab.opened).toHaveLength(2);
    expect(lab.last().url).toBe('ws://host/ws?last_id=7-1');
  });

  it('backs off longer after each failed attempt and starts over once connected', async () => {
    const { lab, connection } = connect();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = Date.now();
      lab.last().handlers.onClose(1006);
      const count = lab.opened.length;
      while (lab.opened.length === count) await vi.advanceTimersByTimeAsync(50);
      times.push(Date.now() - before);
    }
    expect(times[0]).toBeLessThan(times[1]!);
    expect(times[1]).toBeLessThan(times[2]!);
  });

  it('refreshes the token before reconnecting after 4401, and stays "live" through it', async () => {
    const { lab, states, refresh, connection } = connect();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    lab.last().handlers.onOpen();
    lab.last().handlers.onMessage(event('9-0'));
    lab.last().handlers.onClose(4401);
    await vi.advanceTimersByTimeAsync(0);
    expect(refresh).toHaveBeenCalledWith('t1');
    expect(lab.opened).toHaveLength(2);
    expect(lab.last().protocols).toEqual(['bearer', 't2']);
    expect(lab.last().url).toBe('ws://host/ws?last_id=9-0');
    lab.last().handlers.onOpen();
    expect(states).toEqual(['reconnecting', 'live']);
  });

  it('reconnects at once with last_id after 1013 (fell behind)', async () => {
    const { lab, connection } = connect();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    lab.last().handlers.onOpen();
    lab.last().handlers.onMessage(event('3-0'));
    lab.last().handlers.onClose(1013);
    await vi.advanceTimersByTimeAsync(0);
    expect(lab.opened).toHaveLength(2);
    expect(lab.last().url).toBe('ws://host/ws?last_id=3-0');
  });

  it('starts from live events when the relay refuses the last_id (4400)', async () => {
    const { lab, connection } = connect();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    lab.last().handlers.onOpen();
    lab.last().handlers.onMessage(event('3-0'));
    lab.last().handlers.onClose(4400);
    await vi.advanceTimersByTimeAsync(1000);
    expect(lab.last().url).toBe('ws://host/ws');
  });

  it('stops for good when the session is over', async () => {
    const { lab, states, connection } = connect({
      refresh: async () => {
        throw new Error('signed out');
      },
      isSignedOut: () => true,
    });
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    lab.last().handlers.onOpen();
    lab.last().handlers.onClose(4401);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lab.opened).toHaveLength(1);
    expect(states.at(-1)).toBe('offline');
  });

  it('waits while the browser is offline and connects as soon as it is back', async () => {
    let online = true;
    const { lab, states, connection } = connect({ isOnline: () => online });
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    lab.last().handlers.onOpen();
    online = false;
    connection.offline();
    lab.last().handlers.onClose(1006);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lab.opened).toHaveLength(1);
    expect(states.at(-1)).toBe('offline');
    online = true;
    connection.online();
    await vi.advanceTimersByTimeAsync(0);
    expect(lab.opened).toHaveLength(2);
  });

  it('pings, and gives up on a socket that stays silent', async () => {
    const { lab, connection } = connect({ pingMs: 25_000, pongTimeoutMs: 10_000 });
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    lab.last().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(25_000);
    expect(lab.opened[0]!.sent).toEqual(['ping']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lab.opened[0]!.closed).not.toBeNull();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lab.opened).toHaveLength(2);
  });

  it('tells the app when it is back after a drop, so screens can catch up', async () => {
    const onReopen = vi.fn();
    const { lab, connection } = connect({ onReopen });
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    lab.last().handlers.onOpen();
    expect(onReopen).not.toHaveBeenCalled();
    lab.last().handlers.onClose(1006);
    await vi.advanceTimersByTimeAsync(1000);
    lab.last().handlers.onOpen();
    expect(onReopen).toHaveBeenCalledTimes(1);
  });

  it('ignores a closed socket once stopped', async () => {
    const { lab, connection } = connect();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    lab.last().handlers.onOpen();
    connection.stop();
    expect(lab.opened[0]!.closed).toBe(1000);
    lab.opened[0]!.handlers.onClose(1000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lab.opened).toHaveLength(1);
  });
});

describe('LiveConnection across a short outage', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('is live again when the network returns and the socket survived, and checks it with a ping', async () => {
    const lab = socketLab();
    const states: LiveState[] = [];
    const connection = new LiveConnection({
      relay: 'ws://host/ws',
      accessToken: async () => 't',
      refresh: async () => 't',
      socket: lab.factory,
      onEvent: () => {},
      onState: (s) => states.push(s),
    });
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    lab.last().handlers.onOpen();
    connection.offline();
    connection.online();
    expect(states).toEqual(['reconnecting', 'live', 'offline', 'live']);
    expect(lab.last().sent).toEqual(['ping']);
    expect(lab.opened).toHaveLength(1);
  });
});
