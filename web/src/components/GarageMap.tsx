// The garage drawn on each level's plan: every placed spot where the admin put it, in its
// live status (colour, a shape and a pattern, and words), a tap to book it. The plan pans
// (drag, or the arrow keys when zoomed) and zooms (pinch, ctrl+wheel, the +/− buttons and
// keys); the list stays the accessible equivalent, and every spot here is a button in
// reading order.

import { useRef, useState, type KeyboardEvent, type PointerEvent, type WheelEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { GarageMap as MapData, SpotView } from '../api/types';
import { usePlanImage } from '../hooks/usePlanImage';
import { href } from '../lib/router';
import { currentReservation } from '../lib/spots';
import { Button, ErrorNotice, Loading } from './ui';

export type MapStatus = 'free' | 'taken' | 'yours' | 'own' | 'unavailable';

export function mapStatus(spot: SpotView, mine: boolean, now: number): MapStatus {
  if (mine) return 'own';
  if (spot.status_now === 'free') return 'free';
  if (spot.status_now === 'reserved')
    return currentReservation(spot, now)?.mine ? 'yours' : 'taken';
  return 'unavailable';
}

// Colour, and a shape and a pattern that say the same without it.
const LOOK: Record<MapStatus, { icon: string; className: string }> = {
  free: {
    icon: '●',
    className:
      'bg-green-100 text-green-950 ring-green-700 dark:bg-green-950 dark:text-green-100 dark:ring-green-400',
  },
  taken: {
    icon: '■',
    className:
      'bg-rose-100 text-rose-950 ring-rose-700 bg-[repeating-linear-gradient(45deg,transparent_0_4px,rgb(190_18_60/0.18)_4px_8px)] dark:bg-rose-950 dark:text-rose-100 dark:ring-rose-400',
  },
  yours: {
    icon: '★',
    className:
      'bg-blue-100 text-blue-950 ring-blue-700 dark:bg-blue-950 dark:text-blue-100 dark:ring-sky-400',
  },
  own: {
    icon: '◆',
    className:
      'bg-amber-50 text-amber-950 ring-amber-700 dark:bg-amber-950 dark:text-amber-100 dark:ring-amber-400',
  },
  unavailable: {
    icon: '○',
    className:
      'bg-slate-100 text-slate-800 ring-slate-500 border-dashed bg-[repeating-linear-gradient(-45deg,transparent_0_3px,rgb(100_116_139/0.2)_3px_6px)] dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-400',
  },
};

export function ViewToggle({
  view,
  onChange,
}: {
  view: 'list' | 'map';
  onChange: (view: 'list' | 'map') => void;
}) {
  const { t } = useTranslation('map');
  return (
    <div role="group" aria-label={t('view.label')} className="mb-4 inline-flex gap-1">
      {(['list', 'map'] as const).map((v) => (
        <Button
          key={v}
          size="sm"
          variant={view === v ? 'primary' : 'secondary'}
          aria-pressed={view === v}
          onClick={() => onChange(v)}
        >
          {t(`view.${v}`)}
        </Button>
      ))}
    </div>
  );
}

const ZOOM_MIN = 1;
const ZOOM_MAX = 4;
const clampZoom = (z: number) => Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, z));

interface View {
  zoom: number;
  x: number;
  y: number;
}

export function GarageMap({
  map,
  spots,
  mySpotIds,
  now,
  onReserve,
}: {
  map: MapData;
  spots: SpotView[];
  mySpotIds: Set<string>;
  now: number;
  onReserve: (spot: SpotView) => void;
}) {
  const { t } = useTranslation('map');
  const [chosen, setChosen] = useState<string | null>(null);
  const level = map.levels.find((l) => l.level === chosen) ?? map.levels[0];
  const image = usePlanImage(level?.level ?? null, level?.version ?? null);
  const [view, setView] = useState<View>({ zoom: 1, x: 0, y: 0 });
  const pointers = useRef(new Map<number, { x: number; y: number }>());
  const pinch = useRef<number | null>(null);
  const byId = new Map(spots.map((s) => [s.id, s]));
  const placed = map.positions
    .filter((p) => p.level === level?.level && byId.has(p.spot_id))
    .map((p) => ({ ...p, spot: byId.get(p.spot_id) as SpotView }))
    // Reading order: top to bottom, then left to right.
    .sort((a, b) => a.y - b.y || a.x - b.x);

  if (!level) return null;

  const zoomBy = (factor: number) =>
    setView((v) => {
      const zoom = clampZoom(v.zoom * factor);
      return zoom === 1 ? { zoom, x: 0, y: 0 } : { zoom, x: v.x, y: v.y };
    });

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if ((e.target as HTMLElement).closest('button, a')) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    pinch.current = null;
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const last = pointers.current.get(e.pointerId);
    if (!last) return;
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.current.size >= 2) {
      const [a, b] = [...pointers.current.values()] as [
        { x: number; y: number },
        { x: number; y: number },
      ];
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      if (pinch.current) zoomBy(distance / pinch.current);
      pinch.current = distance;
      return;
    }
    const dx = e.clientX - last.x;
    const dy = e.clientY - last.y;
    setView((v) => (v.zoom === 1 ? v : { ...v, x: v.x + dx, y: v.y + dy }));
  };
  const onPointerUp = (e: PointerEvent<HTMLDivElement>) => {
    pointers.current.delete(e.pointerId);
    pinch.current = null;
  };
  const onWheel = (e: WheelEvent<HTMLDivElement>) => {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    zoomBy(e.deltaY < 0 ? 1.2 : 1 / 1.2);
  };
  const PAN: Record<string, [number, number]> = {
    ArrowLeft: [40, 0],
    ArrowRight: [-40, 0],
    ArrowUp: [0, 40],
    ArrowDown: [0, -40],
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const pan = PAN[e.key];
    if (e.target instanceof HTMLSelectElement) return;
    if (e.key === '+' || e.key === '=') zoomBy(1.25);
    else if (e.key === '-' || e.key === '_') zoomBy(0.8);
    else if (e.key === '0') setView({ zoom: 1, x: 0, y: 0 });
    else if (pan && view.zoom > 1) setView((v) => ({ ...v, x: v.x + pan[0], y: v.y + pan[1] }));
    else return;
    e.preventDefault();
  };

  return (
    <section aria-label={t('title')} data-testid="garage-map" onKeyDown={onKeyDown}>
      <div className="mb-3 flex flex-wrap items-center gap-2">
        {map.levels.length > 1 && (
          <label className="flex items-center gap-2 text-sm font-medium">
            {t('level')}
            <select
              className="rounded-lg border border-slate-400 bg-white px-2 py-1.5 dark:border-slate-500 dark:bg-slate-900"
              value={level.level}
              onChange={(e) => {
                setChosen(e.target.value);
                setView({ zoom: 1, x: 0, y: 0 });
              }}
            >
              {map.levels.map((l) => (
                <option key={l.level} value={l.level}>
                  {l.level}
                </option>
              ))}
            </select>
          </label>
        )}
        {map.levels.length === 1 && (
          <p className="text-sm font-medium">{t('levelNamed', { level: level.level })}</p>
        )}
        <div className="ml-auto flex gap-1" role="group" aria-label={t('zoom.label')}>
          <Button
            size="sm"
            variant="secondary"
            aria-label={t('zoom.out')}
            onClick={() => zoomBy(0.8)}
          >
            −
          </Button>
          <Button
            size="sm"
            variant="secondary"
            aria-label={t('zoom.in')}
            onClick={() => zoomBy(1.25)}
          >
            +
          </Button>
          <Button size="sm" variant="ghost" onClick={() => setView({ zoom: 1, x: 0, y: 0 })}>
            {t('zoom.reset')}
          </Button>
        </div>
      </div>
      <Legend />
      {image.error !== null && image.error !== undefined && <ErrorNotice error={image.error} />}
      {!image.url && !image.error && <Loading label={t('loadingPlan')} />}
      {image.url && (
        <div
          className="relative touch-none overflow-hidden rounded-xl border border-slate-200 bg-slate-50 dark:border-slate-800 dark:bg-slate-950"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          onWheel={onWheel}
        >
          <div
            className="relative origin-top-left"
            style={{ transform: `translate(${view.x}px, ${view.y}px) scale(${view.zoom})` }}
          >
            <img
              src={image.url}
              alt={t('planAlt', { level: level.level })}
              className="block w-full select-none"
              draggable={false}
            />
            <ul aria-label={t('spotsOn', { level: level.level })}>
              {placed.map(({ spot, x, y }) => (
                <li
                  key={spot.id}
                  className="absolute"
                  style={{
                    left: `${x * 100}%`,
                    top: `${y * 100}%`,
                    transform: `translate(-50%, -50%) scale(${1 / view.zoom})`,
                  }}
                >
                  <MapSpot
                    spot={spot}
                    status={mapStatus(spot, mySpotIds.has(spot.id), now)}
                    onReserve={onReserve}
                  />
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}
      <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">{t('hint')}</p>
    </section>
  );
}

function MapSpot({
  spot,
  status,
  onReserve,
}: {
  spot: SpotView;
  status: MapStatus;
  onReserve: (spot: SpotView) => void;
}) {
  const { t } = useTranslation('map');
  const look = LOOK[status];
  const className = `flex min-h-11 min-w-11 flex-col items-center justify-center rounded-lg px-1.5 py-0.5 text-xs font-bold leading-tight shadow ring-2 ${look.className}`;
  const content = (
    <>
      <span>{spot.label}</span>
      <span className="whitespace-nowrap font-semibold">
        <span aria-hidden="true">{look.icon} </span>
        {t(`status.${status}`)}
      </span>
    </>
  );
  const data = { 'data-testid': 'map-spot', 'data-spot-label': spot.label, 'data-status': status };
  if (status === 'own')
    return (
      <a href={href(`spots/${spot.id}`)} className={className} {...data}>
        {content}
      </a>
    );
  return (
    <button
      type="button"
      className={className}
      aria-label={t('reserveSpot', { label: spot.label, status: t(`status.${status}`) })}
      onClick={() => onReserve(spot)}
      {...data}
    >
      {content}
    </button>
  );
}

function Legend() {
  const { t } = useTranslation('map');
  return (
    <ul className="mb-2 flex flex-wrap gap-2 text-xs" aria-label={t('legend')}>
      {(Object.keys(LOOK) as MapStatus[]).map((s) => (
        <li
          key={s}
          className={`rounded-full px-2 py-0.5 font-semibold ring-1 ${LOOK[s].className}`}
        >
          <span aria-hidden="true">{LOOK[s].icon} </span>
          {t(`status.${s}`)}
        </li>
      ))}
    </ul>
  );
}
