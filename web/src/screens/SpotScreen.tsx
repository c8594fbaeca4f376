import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Me } from '../api/types';
import { ReserveDialog } from '../components/ReserveDialog';
import { SpotTimeline } from '../components/SpotTimeline';
import { StatusBadge } from '../components/StatusBadge';
import { Button, Card, EmptyState, ErrorNotice, Loading, buttonClass } from '../components/ui';
import { keys } from '../data/keys';
import { useSpots } from '../hooks/data';
import { useNow } from '../hooks/useNow';
import { href } from '../lib/router';
import { addDays, localDate, startOfLocalDay, toIso, zoneAbbreviation } from '../lib/time';

export function SpotScreen({ me, spotId }: { me: Me; spotId: string }) {
  const { t } = useTranslation('garage');
  const zone = me.building.timezone;
  const now = useNow();
  const [days, setDays] = useState(3);
  const [reserving, setReserving] = useState(false);
  const today = localDate(now, zone);
  const dates = Array.from({ length: days }, (_, i) => addDays(today, i));
  const spots = useSpots(keys.timeline(spotId, today, days), () => ({
    start: toIso(startOfLocalDay(today, zone)),
    end: toIso(startOfLocalDay(addDays(today, days), zone)),
  }));
  const spot = spots.data?.find((s) => s.id === spotId);
  const mine = me.spots.some((s) => s.id === spotId);

  return (
    <div>
      <a
        href={href('garage')}
        className="text-sm font-semibold text-blue-800 underline-offset-2 hover:underline dark:text-sky-300"
      >
        {t('spot.back')}
      </a>
      {spots.error !== undefined && spots.error !== null && (
        <div className="mt-3">
          <ErrorNotice error={spots.error} onRetry={spots.refetch} />
        </div>
      )}
      {!spots.data && !spots.error && <Loading />}
      {spots.data && !spot && (
        <div className="mt-4">
          <EmptyState title={t('spot.missing')} />
        </div>
      )}
      {spot && (
        <>
          <div className="mb-4 mt-3 flex flex-wrap items-start justify-between gap-3">
            <div>
              <h1 className="text-2xl font-bold tracking-tight" translate="no">
                {spot.label}
              </h1>
              <p className="text-sm text-slate-600 dark:text-slate-400">
                {[
                  spot.location,
                  mine
                    ? t('owner.yoursInline')
                    : t('owner.sharedByInline', { name: spot.owner.display_name }),
                ]
                  .filter(Boolean)
                  .join(' · ')}
              </p>
              {spot.notes && (
                <p className="mt-1 text-sm" translate="no">
                  {spot.notes}
                </p>
              )}
            </div>
            <StatusBadge status={spot.status_now} />
          </div>
          <Card>
            <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
              <h2 className="text-lg font-semibold">{t('spot.nextDays', { count: days })}</h2>
              <div role="group" aria-label={t('spot.daysShown')} className="flex gap-1">
                {[3, 7].map((n) => (
                  <Button
                    key={n}
                    size="sm"
                    variant={n === days ? 'primary' : 'secondary'}
                    aria-pressed={n === days}
                    onClick={() => setDays(n)}
                  >
                    {t('spot.days', { count: n })}
                  </Button>
                ))}
              </div>
            </div>
            <p className="mb-3 text-xs text-slate-600 dark:text-slate-400">
              {t('timesIn', { zone, abbreviation: zoneAbbreviation(now, zone) })}
            </p>
            <SpotTimeline spot={spot} days={dates} zone={zone} now={now} />
          </Card>
          <div className="mt-4">
            {mine ? (
              <a href={href('my-spots')} className={buttonClass('secondary', 'lg')}>
                {t('spot.share')}
              </a>
            ) : (
              <Button size="lg" onClick={() => setReserving(true)}>
                {t('spot.reserve')}
              </Button>
            )}
          </div>
          {reserving && <ReserveDialog spot={spot} me={me} onClose={() => setReserving(false)} />}
        </>
      )}
    </div>
  );
}
