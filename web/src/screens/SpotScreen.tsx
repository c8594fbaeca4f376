import { useState } from 'react';
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
        ← Back to the garage
      </a>
      {spots.error !== undefined && spots.error !== null && (
        <div className="mt-3">
          <ErrorNotice error={spots.error} onRetry={spots.refetch} />
        </div>
      )}
      {!spots.data && !spots.error && <Loading />}
      {spots.data && !spot && (
        <div className="mt-4">
          <EmptyState title="This spot doesn’t exist (any more)." />
        </div>
      )}
      {spot && (
        <>
          <div className="mb-4 mt-3 flex flex-wrap items-start justify-between gap-3">
            <div>
              <h1 className="text-2xl font-bold tracking-tight">{spot.label}</h1>
              <p className="text-sm text-slate-600 dark:text-slate-400">
                {[spot.location, mine ? 'your spot' : `shared by ${spot.owner.display_name}`]
                  .filter(Boolean)
                  .join(' · ')}
              </p>
              {spot.notes && <p className="mt-1 text-sm">{spot.notes}</p>}
            </div>
            <StatusBadge status={spot.status_now} />
          </div>
          <Card>
            <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
              <h2 className="text-lg font-semibold">Next {days} days</h2>
              <div role="group" aria-label="Days shown" className="flex gap-1">
                {[3, 7].map((n) => (
                  <Button
                    key={n}
                    size="sm"
                    variant={n === days ? 'primary' : 'secondary'}
                    aria-pressed={n === days}
                    onClick={() => setDays(n)}
                  >
                    {n} days
                  </Button>
                ))}
              </div>
            </div>
            <p className="mb-3 text-xs text-slate-600 dark:text-slate-400">
              Times in {zone} ({zoneAbbreviation(now, zone)})
            </p>
            <SpotTimeline spot={spot} days={dates} zone={zone} now={now} />
          </Card>
          <div className="mt-4">
            {mine ? (
              <a href={href('my-spots')} className={buttonClass('secondary', 'lg')}>
                Share this spot
              </a>
            ) : (
              <Button size="lg" onClick={() => setReserving(true)}>
                Reserve
              </Button>
            )}
          </div>
          {reserving && <ReserveDialog spot={spot} me={me} onClose={() => setReserving(false)} />}
        </>
      )}
    </div>
  );
}
