// The admin's garage map: a plan per level (PNG, JPEG or WebP, at most 2 MiB: the server
// reads the type from the bytes and decides), and each spot placed on it by dragging it from
// the list (or moving it on the plan); by keyboard, select a spot, move it with the arrow
// keys (Shift for bigger steps) and save with Enter.

import { useRef, useState, type FormEvent, type KeyboardEvent, type PointerEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { SpotView } from '../../api/types';
import { useServices } from '../../app/services';
import { Button, Card, ErrorNotice, Loading, SectionTitle, TextField } from '../../components/ui';
import { nextDayKey, nextDayWindow, useGarageMap, useSpots } from '../../hooks/data';
import { useAction } from '../../hooks/useAction';
import { usePlanImage } from '../../hooks/usePlanImage';

const ACCEPT = 'image/png,image/jpeg,image/webp';
const MAX_BYTES = 2 * 1024 * 1024;

type Point = { x: number; y: number };
const clamp = (v: number) => Math.min(1, Math.max(0, v));
const without = (moves: Record<string, Point>, id: string): Record<string, Point> =>
  Object.fromEntries(Object.entries(moves).filter(([key]) => key !== id));

export function MapPanel() {
  const { t } = useTranslation('map');
  const { api } = useServices();
  const map = useGarageMap();
  const spots = useSpots(nextDayKey(false), () => nextDayWindow(false));
  const [chosen, setChosen] = useState<string | null>(null);
  const level = map.data?.levels.find((l) => l.level === chosen) ?? map.data?.levels[0];
  const image = usePlanImage(level?.level ?? null, level?.version ?? null);
  const [selected, setSelected] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [moving, setMoving] = useState<Record<string, Point>>({});
  const [ghost, setGhost] = useState<{ label: string; x: number; y: number } | null>(null);
  const plan = useRef<HTMLDivElement>(null);
  const overrides = {
    invalid_image: t('admin.invalidImage'),
    image_too_large: t('admin.tooLarge'),
    payload_too_large: t('admin.tooLarge'),
  };

  const place = useAction(async (spotId: string, at: Point) => {
    if (!level) return;
    await api.placeSpot(spotId, level.level, at.x, at.y);
    map.refetch();
  });
  const unplace = useAction(async (spotId: string) => {
    await api.unplaceSpot(spotId);
    map.refetch();
  });
  const remove = useAction(async (name: string) => {
    await api.removePlan(name);
    setChosen(null);
    setConfirming(null);
    map.refetch();
  });

  if (!map.data || !spots.data) return <Loading />;
  const all = [...spots.data].sort((a, b) => a.label.localeCompare(b.label));
  const positions = new Map(
    map.data.positions.filter((p) => p.level === level?.level).map((p) => [p.spot_id, p]),
  );
  const where = (id: string): Point | undefined => moving[id] ?? positions.get(id);

  const fraction = (clientX: number, clientY: number): Point | null => {
    const rect = plan.current?.getBoundingClientRect();
    if (!rect || rect.width === 0) return null;
    const x = (clientX - rect.left) / rect.width;
    const y = (clientY - rect.top) / rect.height;
    return x < 0 || x > 1 || y < 0 || y > 1 ? null : { x, y };
  };

  // Pointer drag, from the list or from the plan: captured by the item, dropped on the plan.
  const dragHandlers = (spot: SpotView) => ({
    onPointerDown: (e: PointerEvent<HTMLElement>) => {
      if (!level) return;
      e.currentTarget.setPointerCapture(e.pointerId);
      setSelected(spot.id);
      setGhost({ label: spot.label, x: e.clientX, y: e.clientY });
    },
    onPointerMove: (e: PointerEvent<HTMLElement>) => {
      if (!ghost) return;
      setGhost({ label: spot.label, x: e.clientX, y: e.clientY });
      const at = fraction(e.clientX, e.clientY);
      if (at) setMoving((m) => ({ ...m, [spot.id]: at }));
    },
    onPointerUp: (e: PointerEvent<HTMLElement>) => {
      if (!ghost) return;
      setGhost(null);
      const at = fraction(e.clientX, e.clientY);
      setMoving((m) => without(m, spot.id));
      if (at) void place.run(spot.id, at).catch(() => undefined);
    },
  });

  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (!selected || !level) return;
    const step = e.shiftKey ? 0.05 : 0.01;
    const from = where(selected) ?? { x: 0.5, y: 0.5 };
    const moves: Record<string, Point> = {
      ArrowLeft: { x: from.x - step, y: from.y },
      ArrowRight: { x: from.x + step, y: from.y },
      ArrowUp: { x: from.x, y: from.y - step },
      ArrowDown: { x: from.x, y: from.y + step },
    };
    const next = moves[e.key];
    if (next) {
      e.preventDefault();
      setMoving((m) => ({ ...m, [selected]: { x: clamp(next.x), y: clamp(next.y) } }));
    } else if (e.key === 'Enter' && moving[selected]) {
      e.preventDefault();
      const at = moving[selected];
      setMoving((m) => without(m, selected));
      void place.run(selected, at).catch(() => undefined);
    } else if (e.key === 'Escape') {
      setMoving((m) => without(m, selected));
    }
  };

  return (
    <div className="space-y-5">
      <UploadForm
        levels={map.data.levels.map((l) => l.level)}
        current={level?.level ?? ''}
        overrides={overrides}
        onUploaded={(name) => {
          setChosen(name);
          map.refetch();
        }}
      />
      {level && (
        <Card>
          <SectionTitle>{t('admin.placeTitle', { level: level.level })}</SectionTitle>
          <div className="mb-3 flex flex-wrap items-center gap-2">
            {map.data.levels.length > 1 && (
              <label className="flex items-center gap-2 text-sm font-medium">
                {t('level')}
                <select
                  className="rounded-lg border border-slate-400 bg-white px-2 py-1.5 dark:border-slate-500 dark:bg-slate-900"
                  value={level.level}
                  onChange={(e) => setChosen(e.target.value)}
                >
                  {map.data.levels.map((l) => (
                    <option key={l.level} value={l.level}>
                      {l.level}
                    </option>
                  ))}
                </select>
              </label>
            )}
            {confirming === level.level ? (
              <span className="ml-auto flex flex-wrap items-center gap-2 text-sm">
                {t('admin.removeConfirm')}
                <Button
                  size="sm"
                  variant="danger"
                  pending={remove.pending}
                  onClick={() => void remove.run(level.level).catch(() => undefined)}
                >
                  {t('admin.removeYes')}
                </Button>
                <Button size="sm" variant="ghost" onClick={() => setConfirming(null)}>
                  {t('admin.keep')}
                </Button>
              </span>
            ) : (
              <Button
                size="sm"
                variant="danger"
                className="ml-auto"
                onClick={() => setConfirming(level.level)}
              >
                {t('admin.removePlan')}
              </Button>
            )}
          </div>
          <p className="mb-3 text-sm text-slate-700 dark:text-slate-300" id="map-keys">
            {t('admin.howTo')}
          </p>
          <ErrorNotice error={place.error ?? unplace.error ?? remove.error} overrides={overrides} />
          <div className="grid gap-4 md:grid-cols-[12rem_1fr]" onKeyDown={onKeyDown}>
            <ul aria-label={t('admin.spots')} className="flex flex-wrap gap-2 md:flex-col">
              {all.map((spot) => {
                const at = where(spot.id);
                return (
                  <li key={spot.id} className="flex items-center gap-1">
                    <button
                      type="button"
                      data-testid="place-spot"
                      data-spot-label={spot.label}
                      aria-pressed={selected === spot.id}
                      aria-describedby="map-keys"
                      className={`touch-none rounded-lg px-3 py-2 text-sm font-semibold ring-1 ${
                        selected === spot.id
                          ? 'bg-blue-700 text-white ring-blue-700 dark:bg-sky-400 dark:text-slate-950'
                          : 'bg-white ring-slate-300 dark:bg-slate-900 dark:ring-slate-700'
                      }`}
                      onClick={() => setSelected(spot.id)}
                      {...dragHandlers(spot)}
                    >
                      {spot.label}{' '}
                      <span className="font-normal">
                        {at
                          ? t('admin.at', { x: Math.round(at.x * 100), y: Math.round(at.y * 100) })
                          : t('admin.notPlaced')}
                      </span>
                    </button>
                    {positions.has(spot.id) && (
                      <Button
                        size="sm"
                        variant="ghost"
                        aria-label={t('admin.unplace', { label: spot.label })}
                        onClick={() => void unplace.run(spot.id).catch(() => undefined)}
                      >
                        ×
                      </Button>
                    )}
                  </li>
                );
              })}
            </ul>
            <div
              ref={plan}
              data-testid="admin-plan"
              className="relative overflow-hidden rounded-xl border border-slate-200 dark:border-slate-800"
            >
              {image.url ? (
                <img
                  src={image.url}
                  alt={t('planAlt', { level: level.level })}
                  className="block w-full select-none"
                  draggable={false}
                />
              ) : (
                <Loading label={t('loadingPlan')} />
              )}
              {all.map((spot) => {
                const at = where(spot.id);
                if (!at) return null;
                return (
                  <span
                    key={spot.id}
                    aria-hidden="true"
                    className={`pointer-events-none absolute -translate-x-1/2 -translate-y-1/2 rounded-md px-1.5 py-0.5 text-xs font-bold shadow ring-2 ${
                      selected === spot.id
                        ? 'bg-blue-700 text-white ring-blue-900'
                        : 'bg-white text-slate-900 ring-slate-700'
                    }`}
                    style={{ left: `${at.x * 100}%`, top: `${at.y * 100}%` }}
                  >
                    {spot.label}
                  </span>
                );
              })}
            </div>
          </div>
        </Card>
      )}
      {ghost && (
        <span
          aria-hidden="true"
          className="pointer-events-none fixed z-50 -translate-x-1/2 -translate-y-1/2 rounded-md bg-blue-700 px-2 py-1 text-xs font-bold text-white shadow-lg"
          style={{ left: ghost.x, top: ghost.y }}
        >
          {ghost.label}
        </span>
      )}
    </div>
  );
}

function UploadForm({
  levels,
  current,
  overrides,
  onUploaded,
}: {
  levels: string[];
  current: string;
  overrides: Record<string, string>;
  onUploaded: (level: string) => void;
}) {
  const { t } = useTranslation('map');
  const { api } = useServices();
  const [name, setName] = useState(current);
  const [file, setFile] = useState<File | null>(null);
  const [tooBig, setTooBig] = useState(false);
  const upload = useAction(async (level: string, image: File) => {
    await api.setPlan(level, image);
    onUploaded(level);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const level = name.trim();
    if (!level || !file) return;
    void upload.run(level, file).catch(() => undefined);
  };
  return (
    <Card>
      <SectionTitle>{t('admin.uploadTitle')}</SectionTitle>
      <form className="space-y-3" onSubmit={submit}>
        <TextField
          label={t('admin.levelName')}
          hint={levels.length ? t('admin.levelsSoFar', { levels: levels.join(', ') }) : undefined}
          value={name}
          maxLength={60}
          onChange={(e) => setName(e.target.value)}
          required
        />
        <label className="block text-sm font-medium">
          {t('admin.file')}
          <input
            type="file"
            accept={ACCEPT}
            className="mt-1 block w-full text-sm"
            onChange={(e) => {
              const picked = e.target.files?.[0] ?? null;
              setFile(picked);
              // A friendly pre-check only: the server decides by the bytes.
              setTooBig(picked !== null && picked.size > MAX_BYTES);
            }}
          />
          <span className="mt-1 block text-xs text-slate-600 dark:text-slate-400">
            {t('admin.fileHint')}
          </span>
        </label>
        {tooBig && <p className="text-sm text-red-800 dark:text-red-300">{t('admin.tooLarge')}</p>}
        <ErrorNotice error={upload.error} overrides={overrides} />
        <Button type="submit" pending={upload.pending} disabled={!file || !name.trim() || tooBig}>
          {t('admin.upload')}
        </Button>
      </form>
    </Card>
  );
}
