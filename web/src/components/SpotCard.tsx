import i18next from 'i18next';
import { useTranslation } from 'react-i18next';
import type { SpotView } from '../api/types';
import type { Interval } from '../lib/intervals';
import { href } from '../lib/router';
import { currentReservation, spotFreeTimes } from '../lib/spots';
import { formatWhen, parseInstant } from '../lib/time';
import { StatusBadge } from './StatusBadge';
import { Button } from './ui';

function nowLine(spot: SpotView, now: number, zone: string): string {
  const next = spot.next_change_at ? parseInstant(spot.next_change_at) : null;
  const when = next !== null ? formatWhen(next, now, zone) : null;
  const t = i18next.getFixedT(null, 'garage', 'card');
  switch (spot.status_now) {
    case 'free':
      return when ? t('freeUntil', { when }) : t('free');
    case 'reserved': {
      if (currentReservation(spot, now)?.mine) return when ? t('yoursUntil', { when }) : t('yours');
      return when ? t('takenUntil', { when }) : t('taken');
    }
    default:
      return when ? t('sharedAgainFrom', { when }) : t('notShared');
  }
}

function windowLine(spot: SpotView, window: Interval, now: number, zone: string): string {
  const t = i18next.getFixedT(null, 'garage', 'card');
  if (spot.free_for_window) return t('freeForWindow');
  const free = spotFreeTimes(spot, window).filter((i) => i.end > now);
  if (free.length === 0) return t('notFreeInWindow');
  const first = free[0] as Interval;
  const range = {
    from: formatWhen(Math.max(first.start, now), now, zone),
    to: formatWhen(first.end, now, zone),
  };
  return free.length > 1
    ? t('freeRangeMore', { ...range, count: free.length - 1 })
    : t('freeRange', range);
}

export function SpotCard({
  spot,
  mine,
  recurring,
  zone,
  window,
  now,
  onReserve,
}: {
  spot: SpotView;
  mine: boolean;
  /** What the owner shares every week ("Free weekdays 08:00–18:00"), if anything. */
  recurring?: string | undefined;
  zone: string;
  window: Interval;
  now: number;
  onReserve: (spot: SpotView) => void;
}) {
  const { t } = useTranslation('garage');
  const bookable = spot.free_for_window || spotFreeTimes(spot, window).some((i) => i.end > now);
  return (
    <li
      data-testid="spot-card"
      data-spot-label={spot.label}
      data-status={spot.status_now}
      data-reservations={spot.reservations.length}
      className={`flex flex-col gap-3 rounded-xl border bg-white p-4 shadow-sm dark:bg-slate-900 ${
        bookable && !mine
          ? 'border-green-600/40 dark:border-green-400/40'
          : 'border-slate-200 dark:border-slate-800'
      }`}
    >
      <div className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <h2 className="text-xl font-bold tracking-tight" translate="no">
            {spot.label}
          </h2>
          {spot.location && (
            <p className="truncate text-sm text-slate-600 dark:text-slate-400" translate="no">
              {spot.location}
            </p>
          )}
        </div>
        <StatusBadge status={spot.status_now} />
      </div>
      <div className="space-y-0.5 text-sm">
        <p className="font-medium">{nowLine(spot, now, zone)}</p>
        <p className="text-slate-700 dark:text-slate-300">{windowLine(spot, window, now, zone)}</p>
        {recurring && (
          <p data-testid="recurring" className="text-slate-700 dark:text-slate-300">
            {recurring}
          </p>
        )}
        <p className="text-slate-600 dark:text-slate-400">
          {mine ? t('owner.yours') : t('owner.sharedBy', { name: spot.owner.display_name })}
        </p>
        {spot.notes && (
          <p className="text-slate-600 dark:text-slate-400" translate="no">
            {spot.notes}
          </p>
        )}
      </div>
      <div className="mt-auto flex items-center gap-2">
        {!mine && (
          <Button
            size="lg"
            className="flex-1"
            variant={bookable ? 'primary' : 'secondary'}
            onClick={() => onReserve(spot)}
          >
            {t('card.reserve')}
          </Button>
        )}
        <a
          href={href(`spots/${spot.id}`)}
          className="rounded-lg px-3 py-2.5 text-sm font-semibold text-blue-800 underline-offset-2 hover:underline dark:text-sky-300"
          aria-label={t('card.timelineOf', { label: spot.label })}
        >
          {t('card.timeline')}
        </a>
      </div>
    </li>
  );
}
