// The home screen: every spot of the building with its live status, free ones first, over a
// window (the next 24 hours unless the resident picks another).

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Me, SpotView } from '../api/types';
import { GarageMap, ViewToggle } from '../components/GarageMap';
import { ReserveDialog } from '../components/ReserveDialog';
import { SpotCard } from '../components/SpotCard';
import { Button, EmptyState, ErrorNotice, Loading, PageTitle } from '../components/ui';
import { ChoiceChips, WindowInputs, type WindowText } from '../components/WindowInputs';
import { keys } from '../data/keys';
import {
  nextDayKey,
  nextDayWindow,
  useGarageMap,
  useRecurringSummaries,
  useSpots,
} from '../hooks/data';
import { useNow } from '../hooks/useNow';
import type { Interval } from '../lib/intervals';
import { navigate } from '../lib/router';
import { sortSpots } from '../lib/spots';
import {
  HOUR_MS,
  floorToMinute,
  formatRange,
  fromLocalInput,
  toIso,
  toLocalInput,
  zoneAbbreviation,
} from '../lib/time';
import { checkSharing, garageChoices } from '../lib/windows';

declare global {
  interface Window {
    /** performance.now() when the garage first showed data (read by the end-to-end tests). */
    __parkshareFirstRender?: number;
  }
}

type Filter = { kind: 'next24' } | { kind: 'window'; start: number; end: number };

export function GarageScreen({
  me,
  view: initialView = 'list',
}: {
  me: Me;
  view?: 'list' | 'map';
}) {
  const { t } = useTranslation('garage');
  const zone = me.building.timezone;
  const now = useNow();
  const [filter, setFilter] = useState<Filter>({ kind: 'next24' });
  const [availableOnly, setAvailableOnly] = useState(false);
  const [editing, setEditing] = useState(false);
  const [reserving, setReserving] = useState<SpotView | null>(null);

  const span: Interval =
    filter.kind === 'next24' ? { start: now, end: now + 24 * HOUR_MS } : filter;
  const key =
    filter.kind === 'next24'
      ? nextDayKey(availableOnly)
      : keys.garage(`${filter.start}:${filter.end}:${availableOnly}`);
  const spots = useSpots(key, () =>
    filter.kind === 'next24'
      ? nextDayWindow(availableOnly)
      : { start: toIso(filter.start), end: toIso(filter.end), availableOnly },
  );

  // Apart from the list, so that it never holds the garage up; shown when it comes (an error
  // leaves the cards as they were: the summary is a courtesy, the windows are the truth).
  const recurring = useRecurringSummaries();
  // The Map view is offered once the building has a plan; the list stays its equivalent.
  const garageMap = useGarageMap();
  // An address of its own (#/garage/map), so the view survives a reload and can be linked.
  const view: 'list' | 'map' = initialView;
  const setView = (next: 'list' | 'map') => navigate(next === 'map' ? 'garage/map' : 'garage');
  const showMap =
    view === 'map' && garageMap.data !== undefined && garageMap.data.levels.length > 0;

  const hasData = spots.data !== undefined;
  useEffect(() => {
    if (hasData && window.__parkshareFirstRender === undefined)
      window.__parkshareFirstRender = performance.now();
  }, [hasData]);

  const list = spots.data ? sortSpots(spots.data, span, now) : [];
  const mySpotIds = new Set(me.spots.map((s) => s.id));
  // The dialog follows live changes of its spot.
  const reservingNow = reserving ? (list.find((s) => s.id === reserving.id) ?? reserving) : null;

  return (
    <div>
      <PageTitle
        aside={<span>{t('timesIn', { zone, abbreviation: zoneAbbreviation(now, zone) })}</span>}
      >
        {t('garage.title')}
      </PageTitle>
      <section
        aria-label={t('garage.window')}
        className="mb-4 rounded-xl border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900"
      >
        <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
          <p className="text-sm">
            <span className="text-slate-600 dark:text-slate-400">{t('garage.showing')} </span>
            <span className="font-semibold">
              {filter.kind === 'next24'
                ? t('garage.next24')
                : formatRange(filter.start, filter.end, zone)}
            </span>
          </p>
          <label className="flex items-center gap-2 text-sm font-medium">
            <input
              type="checkbox"
              className="h-5 w-5 accent-blue-700 dark:accent-sky-400"
              checked={availableOnly}
              onChange={(e) => setAvailableOnly(e.target.checked)}
            />
            {t('garage.availableOnly')}
          </label>
          <Button
            variant="ghost"
            size="sm"
            aria-expanded={editing}
            onClick={() => setEditing((v) => !v)}
          >
            {editing ? t('garage.hideWindow') : t('garage.changeWindow')}
          </Button>
        </div>
        {editing && <WindowFilter zone={zone} now={now} filter={filter} onApply={setFilter} />}
      </section>

      {garageMap.data && garageMap.data.levels.length > 0 && (
        <ViewToggle view={view} onChange={setView} />
      )}
      {spots.error !== undefined && spots.error !== null && (
        <ErrorNotice error={spots.error} onRetry={spots.refetch} />
      )}
      {!hasData && !spots.error && <Loading label={t('garage.loading')} />}
      {hasData && list.length === 0 && (
        <EmptyState title={availableOnly ? t('garage.noneFree') : t('garage.empty')}>
          {availableOnly ? t('garage.noneFreeHint') : t('garage.emptyHint')}
        </EmptyState>
      )}
      {showMap && garageMap.data && (
        <GarageMap
          map={garageMap.data}
          spots={list}
          mySpotIds={mySpotIds}
          now={now}
          onReserve={setReserving}
        />
      )}
      {!showMap && list.length > 0 && (
        <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-label={t('garage.spots')}>
          {list.map((spot) => (
            <SpotCard
              key={spot.id}
              spot={spot}
              mine={mySpotIds.has(spot.id)}
              recurring={recurring.data?.[spot.id]}
              zone={zone}
              window={span}
              now={now}
              onReserve={setReserving}
            />
          ))}
        </ul>
      )}
      {reservingNow && (
        <ReserveDialog spot={reservingNow} me={me} onClose={() => setReserving(null)} />
      )}
    </div>
  );
}

function WindowFilter({
  zone,
  now,
  filter,
  onApply,
}: {
  zone: string;
  now: number;
  filter: Filter;
  onApply: (f: Filter) => void;
}) {
  const { t } = useTranslation('garage');
  const initial =
    filter.kind === 'window'
      ? filter
      : { start: floorToMinute(now), end: floorToMinute(now) + 24 * HOUR_MS };
  const [text, setText] = useState<WindowText>({
    start: toLocalInput(initial.start, zone),
    end: toLocalInput(initial.end, zone),
  });
  const start = fromLocalInput(text.start, zone) ?? Number.NaN;
  const end = fromLocalInput(text.end, zone) ?? Number.NaN;
  const check = checkSharing({ start, end });
  return (
    <div className="mt-3 space-y-3 border-t border-slate-200 pt-3 dark:border-slate-800">
      <ChoiceChips
        label={t('garage.windows')}
        choices={garageChoices(now, zone)}
        onPick={(choice) => {
          setText({ start: toLocalInput(choice.start, zone), end: toLocalInput(choice.end, zone) });
          onApply(
            choice.id === 'next24'
              ? { kind: 'next24' }
              : { kind: 'window', start: choice.start, end: choice.end },
          );
        }}
      />
      <form
        className="flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (!check.error) onApply({ kind: 'window', start, end });
        }}
      >
        <div className="min-w-0 flex-1">
          <WindowInputs
            value={text}
            onChange={setText}
            labels={[t('garage.windowStart'), t('garage.windowEnd')]}
            zoneNote={t('garage.zoneTime', { zone })}
            invalid={Boolean(check.error)}
          />
        </div>
        <Button type="submit" disabled={Boolean(check.error)} className="mb-5">
          {t('garage.show')}
        </Button>
      </form>
      {check.error && <p className="text-sm text-red-800 dark:text-red-300">{check.error}</p>}
    </div>
  );
}
