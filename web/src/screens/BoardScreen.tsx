// The lobby board at /board#<token>: the garage now, level by level, for a screen where
// anyone passes. Full-screen, large and high-contrast; live over the relay with the
// display's token, reconnecting by itself; nobody's name anywhere (the board answers none).

import i18next from 'i18next';
import { useCallback, useEffect, useRef, useState } from 'react';
import { fetchBoard } from '../api/client';
import { ApiError } from '../api/problems';
import type { Board, BoardSpot, SpotStatus } from '../api/types';
import type { AppConfig } from '../config';
import { useNow } from '../hooks/useNow';
import {
  densityFor,
  levels,
  nextChangeText,
  placeOf,
  refetchDelay,
  statusText,
  levelName,
  type Density,
  type Level,
} from '../lib/board';
import { formatTime } from '../lib/time';
import { LiveConnection, type LiveState } from '../live/connection';

/** Events arriving together (a booking is two or three of them) make one read. */
const COALESCE_MS = 250;
const RETRY_MS = 10_000;

/** The relay refused the display's token: it was revoked (the board then says so). */
class DisplayRefused extends Error {}

const TILE: Record<SpotStatus, string> = {
  free: 'bg-green-800 text-white ring-green-300',
  reserved: 'bg-red-900 text-white ring-red-300',
  unavailable: 'bg-neutral-800 text-neutral-200 ring-neutral-500',
};
const MARK: Record<SpotStatus, string> = { free: '●', reserved: '■', unavailable: '○' };
// The frame's words for the live state (common namespace).
const LIVE_TEXT: Record<LiveState, string> = {
  live: 'live.live',
  reconnecting: 'live.reconnecting',
  offline: 'live.offline',
};

type Trouble = 'revoked' | 'unreachable' | null;

const SIZES: Record<
  Density,
  { levels: string; tiles: string; label: string; place: string; status: string; next: string }
> = {
  large: {
    levels: 'grid-cols-[repeat(auto-fit,minmax(min(100%,64vmin),1fr))]',
    tiles: 'grid-cols-[repeat(auto-fill,minmax(28vmin,1fr))]',
    label: 'text-[6vmin]',
    place: 'text-[2.4vmin]',
    status: 'text-[3.8vmin]',
    next: 'text-[2.8vmin]',
  },
  medium: {
    levels: 'grid-cols-[repeat(auto-fit,minmax(min(100%,44vmin),1fr))]',
    tiles: 'grid-cols-[repeat(auto-fill,minmax(18vmin,1fr))]',
    label: 'text-[3.6vmin]',
    place: 'text-[1.8vmin]',
    status: 'text-[2.4vmin]',
    next: 'text-[2vmin]',
  },
  small: {
    levels: 'grid-cols-[repeat(auto-fit,minmax(min(100%,36vmin),1fr))]',
    tiles: 'grid-cols-[repeat(auto-fill,minmax(11vmin,1fr))]',
    label: 'text-[2.4vmin]',
    place: 'text-[1.3vmin]',
    status: 'text-[1.7vmin]',
    next: 'text-[1.4vmin]',
  },
};

function useBoard(config: AppConfig, token: string) {
  const [board, setBoard] = useState<Board | null>(null);
  const [trouble, setTrouble] = useState<Trouble>(null);
  const [live, setLive] = useState<LiveState>('reconnecting');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const load = useCallback(async () => {
    clearTimeout(timer.current);
    try {
      const read = await fetchBoard(config, token, (input, init) => fetch(input, init));
      setBoard(read);
      setTrouble(null);
      timer.current = setTimeout(() => void load(), refetchDelay(read.spots, Date.now()));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setTrouble('revoked');
        return;
      }
      setTrouble('unreachable');
      timer.current = setTimeout(() => void load(), RETRY_MS);
    }
  }, [config, token]);

  useEffect(() => {
    void load();
    let coalesce: ReturnType<typeof setTimeout> | undefined;
    const connection = new LiveConnection({
      relay: config.relay,
      scheme: 'display',
      accessToken: async () => token,
      // A display's token is not renewed: refused means revoked, which the board confirms.
      refresh: async () => {
        void load();
        throw new DisplayRefused('display token refused');
      },
      isSignedOut: (error) => error instanceof DisplayRefused,
      isOnline: () => navigator.onLine,
      onState: setLive,
      onReopen: () => void load(),
      // Every event a display receives is about the garage: read the board again.
      onEvent: () => {
        coalesce ??= setTimeout(() => {
          coalesce = undefined;
          void load();
        }, COALESCE_MS);
      },
    });
    const online = () => connection.online();
    const offline = () => connection.offline();
    window.addEventListener('online', online);
    window.addEventListener('offline', offline);
    connection.start();
    return () => {
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
      clearTimeout(coalesce);
      clearTimeout(timer.current);
      connection.stop();
    };
  }, [config, token, load]);

  return { board, trouble, live };
}

interface TileProps {
  spot: BoardSpot;
  now: number;
  zone: string;
  density: Density;
}

function SpotTile({ spot, now, zone, density }: TileProps) {
  const size = SIZES[density];
  const next = nextChangeText(spot.next_change_at, now, zone);
  const place = placeOf(spot.location);
  return (
    <li
      data-testid="board-spot"
      data-label={spot.label}
      data-status={spot.status_now}
      className={`flex min-w-0 flex-col gap-[0.4vmin] rounded-[1vmin] p-[1.2vmin] ring-2 ring-inset ${TILE[spot.status_now]}`}
    >
      <span
        translate="no"
        className={`truncate leading-tight font-extrabold tracking-tight ${size.label}`}
      >
        {spot.label}
      </span>
      {place && (
        <span translate="no" className={`truncate leading-tight opacity-90 ${size.place}`}>
          {place}
        </span>
      )}
      <span className={`mt-auto leading-tight font-bold ${size.status}`}>
        <span aria-hidden="true">{MARK[spot.status_now]} </span>
        {statusText(spot.status_now)}
      </span>
      <span className={`min-h-[1lh] leading-tight ${size.next}`}>{next}</span>
    </li>
  );
}

function LevelCard({ level, now, zone, density }: Omit<TileProps, 'spot'> & { level: Level }) {
  return (
    <section
      data-testid="board-level"
      data-level={level.name}
      aria-label={levelName(level.name)}
      className="flex min-w-0 flex-col gap-[1.2vmin] rounded-[1.5vmin] border-2 border-neutral-600 p-[1.5vmin]"
    >
      <h2 className="flex items-baseline justify-between gap-[2vmin]">
        <span className="truncate text-[3.4vmin] font-bold">{levelName(level.name)}</span>
        <span data-testid="level-free" className="shrink-0 text-[3.4vmin] font-extrabold">
          <span className={level.free ? 'text-green-400' : 'text-neutral-400'}>{level.free}</span>
          <span className="text-[2.4vmin] font-semibold text-neutral-300">
            {' '}
            {i18next.t('board.freeOf', { count: level.free, total: level.spots.length })}
          </span>
        </span>
      </h2>
      <ul className={`grid gap-[1vmin] ${SIZES[density].tiles}`}>
        {level.spots.map((spot) => (
          <SpotTile key={spot.label} spot={spot} now={now} zone={zone} density={density} />
        ))}
      </ul>
    </section>
  );
}

function Message({ title, text }: { title: string; text: string }) {
  return (
    <main className="fixed inset-0 flex flex-col items-center justify-center gap-[2vmin] bg-black p-[4vmin] text-center text-white">
      <h1 className="text-[6vmin] font-extrabold">{title}</h1>
      <p role="alert" className="max-w-[80vmin] text-[3vmin]">
        {text}
      </p>
    </main>
  );
}

export function BoardScreen({ config, token }: { config: AppConfig; token: string | null }) {
  if (!token) {
    return <Message title={i18next.t('board.noToken')} text={i18next.t('board.noTokenText')} />;
  }
  return <LiveBoard config={config} token={token} />;
}

function LiveBoard({ config, token }: { config: AppConfig; token: string }) {
  const { board, trouble, live } = useBoard(config, token);
  const now = useNow(15_000);
  if (trouble === 'revoked') {
    return <Message title={i18next.t('board.inactive')} text={i18next.t('board.inactiveText')} />;
  }
  if (!board) {
    return (
      <Message
        title={trouble ? i18next.t('board.unreachable') : i18next.t('loading')}
        text={trouble ? i18next.t('board.retrying') : ''}
      />
    );
  }
  const zone = board.building.timezone;
  const shown = levels(board.spots);
  const free = board.spots.filter((s) => s.status_now === 'free').length;
  const density = densityFor(board.spots.length);
  return (
    <main
      data-testid="board"
      className="fixed inset-0 flex flex-col gap-[2vmin] overflow-hidden bg-black p-[2.5vmin] text-white"
    >
      <header className="flex flex-wrap items-baseline justify-between gap-x-[3vmin] gap-y-[1vmin]">
        <h1 translate="no" className="min-w-0 truncate text-[5vmin] leading-none font-extrabold">
          {board.building.name}
        </h1>
        <div className="flex items-baseline gap-[3vmin] text-[3.4vmin] font-bold">
          <span data-testid="board-free">
            <span className="text-green-400">{free}</span> {i18next.t('board.free')}
          </span>
          <time dateTime={new Date(now).toISOString()}>{formatTime(now, zone)}</time>
          <span
            data-testid="board-live"
            data-state={live}
            className={`text-[2.4vmin] ${live === 'live' ? 'text-green-400' : 'text-amber-300'}`}
          >
            <span aria-hidden="true">● </span>
            {i18next.t(LIVE_TEXT[live])}
          </span>
        </div>
      </header>
      {trouble === 'unreachable' && (
        <p role="status" className="text-[2.4vmin] font-semibold text-amber-300">
          {i18next.t('board.stale')}
        </p>
      )}
      {shown.length === 0 ? (
        <p className="text-[3.4vmin]">{i18next.t('board.empty')}</p>
      ) : (
        <div
          className={`grid min-h-0 flex-1 auto-rows-min gap-[2vmin] overflow-hidden ${SIZES[density].levels}`}
        >
          {shown.map((level) => (
            <LevelCard key={level.name} level={level} now={now} zone={zone} density={density} />
          ))}
        </div>
      )}
    </main>
  );
}
