// My reservations: what is coming (cancel before it starts, refunded in full) and the past.

import type { Me, Reservation, SpotView } from '../api/types';
import { useServices } from '../app/services';
import { FindSpotCard } from '../components/FindSpotCard';
import { useToast } from '../components/Toasts';
import { problemMessage } from '../api/problems';
import { Button, Card, EmptyState, PageTitle, SectionTitle, buttonClass } from '../components/ui';
import { keys } from '../data/keys';
import { meWithoutBooking, spotsWithoutBooking } from '../data/optimistic';
import { useAction } from '../hooks/useAction';
import { useNow } from '../hooks/useNow';
import { useSpotLabels } from '../hooks/useSpotLabels';
import { bookingIcs, downloadIcs, icsFileName } from '../lib/ics';
import { href } from '../lib/router';
import {
  formatDuration,
  formatRange,
  formatWhen,
  parseInstant,
  zoneAbbreviation,
} from '../lib/time';

/** Whether the parker may check in now: from 15 minutes before the start until the grace after
 * it (the building's current policy; the server holds each booking to its own and decides). */
export function checkinOpen(reservation: Reservation, graceMinutes: number, now: number): boolean {
  if (graceMinutes <= 0 || reservation.checked_in_at) return false;
  const start = parseInstant(reservation.start);
  return now >= start - 15 * 60_000 && now <= start + graceMinutes * 60_000;
}

function UpcomingReservation({
  reservation,
  label,
  zone,
  now,
  grace,
}: {
  reservation: Reservation;
  label: string;
  zone: string;
  now: number;
  grace: number;
}) {
  const { api, cache } = useServices();
  const toast = useToast();
  const start = parseInstant(reservation.start);
  const end = parseInstant(reservation.end);
  const started = start <= now;
  const pending = reservation.id.startsWith('pending-');
  const cancel = useAction(async () => {
    const at = Date.now();
    const undo = [
      cache.patch<Me>(
        (k) => k === keys.me,
        (m) => meWithoutBooking(m, reservation.id),
      ),
      cache.patch<SpotView[]>(
        (k) => k.startsWith('spots:'),
        (list) => spotsWithoutBooking(list, reservation.spot_id, reservation, at),
      ),
    ];
    try {
      await api.cancel(reservation.id);
      cache.invalidatePrefix(keys.me, 'spots:');
    } catch (error) {
      for (const rollback of undo) rollback();
      throw error;
    }
  });

  const checkin = useAction(async () => {
    await api.checkin(reservation.id);
    cache.invalidatePrefix(keys.me);
  });

  return (
    <li
      data-testid="reservation"
      data-spot-label={label}
      className="flex flex-wrap items-center gap-3 rounded-xl border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="min-w-0 flex-1">
        <p className="text-lg font-bold">
          <a
            href={href(`spots/${reservation.spot_id}`)}
            className="underline-offset-2 hover:underline"
          >
            {label}
          </a>
          {started && (
            <span className="ml-2 rounded-full bg-blue-100 px-2 py-0.5 text-xs font-semibold text-blue-900 dark:bg-sky-950 dark:text-sky-200">
              Now
            </span>
          )}
        </p>
        <p className="text-sm">{formatRange(start, end, zone)}</p>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          {formatDuration(end - start)} · {reservation.cost} credits ·{' '}
          {started
            ? `ends ${formatWhen(end, now, zone)}`
            : `starts ${formatWhen(start, now, zone)}`}
        </p>
      </div>
      {checkinOpen(reservation, grace, now) && !pending && (
        <Button
          pending={checkin.pending}
          onClick={() =>
            checkin.run().then(
              () => toast.success(`Checked in to ${label}.`),
              (error: unknown) => toast.error(`${label}: ${problemMessage(error)}`),
            )
          }
        >
          Check in
        </Button>
      )}
      {reservation.checked_in_at && (
        <span className="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200">
          Checked in
        </span>
      )}
      <Button
        variant="secondary"
        disabled={pending}
        aria-label={`Add ${label}, ${formatRange(start, end, zone)}, to my calendar (.ics)`}
        title="Download an .ics file for your calendar app"
        onClick={() =>
          downloadIcs(
            icsFileName(label, start),
            bookingIcs({
              id: reservation.id,
              start,
              end,
              summary: `Parking ${label}`,
              location: `Spot ${label}`,
            }),
          )
        }
      >
        .ics
      </Button>
      <Button
        variant="secondary"
        pending={cancel.pending}
        disabled={started || pending}
        title={started ? 'A booking that has started cannot be cancelled' : undefined}
        onClick={() =>
          cancel.run().then(
            () =>
              toast.success(
                `Cancelled ${label}, ${formatRange(start, end, zone)}. ${reservation.cost} credits refunded.`,
              ),
            // The row disappeared at once (optimistically) and is back now: say why here.
            (error: unknown) => toast.error(`${label}: ${problemMessage(error)}`),
          )
        }
      >
        Cancel
      </Button>
      {started && (
        <p className="w-full text-xs text-slate-600 dark:text-slate-400">
          Under way: it can no longer be cancelled.
        </p>
      )}
    </li>
  );
}

const STATUS_WORDS: Record<string, string> = {
  cancelled: 'Cancelled',
  settled: 'Completed',
  no_show: 'No-show',
  booked: 'Ended',
};

export function ReservationsScreen({ me }: { me: Me }) {
  const zone = me.building.timezone;
  const now = useNow();
  const labels = useSpotLabels(me);
  const { upcoming, past } = me.reservations;
  const label = (id: string) => labels.get(id) ?? 'Spot';

  return (
    <div>
      <PageTitle aside={`Times in ${zone} (${zoneAbbreviation(now, zone)})`}>
        My reservations
      </PageTitle>
      <div className="mb-8">
        <FindSpotCard me={me} label={label} />
      </div>
      <section aria-labelledby="upcoming-title" className="mb-8">
        <SectionTitle id="upcoming-title">Upcoming</SectionTitle>
        {upcoming.length === 0 ? (
          <EmptyState title="No upcoming reservation">
            <a href={href('garage')} className={`${buttonClass('primary')} mt-2`}>
              Find a free spot
            </a>
          </EmptyState>
        ) : (
          <ul className="space-y-3">
            {upcoming.map((r) => (
              <UpcomingReservation
                key={r.id}
                reservation={r}
                label={label(r.spot_id)}
                zone={zone}
                now={now}
                grace={me.building.policy.checkin_grace_minutes}
              />
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="past-title">
        <SectionTitle id="past-title">Past</SectionTitle>
        {past.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">Nothing yet.</p>
        ) : (
          <Card as="div" className="p-0">
            <ul className="divide-y divide-slate-200 dark:divide-slate-800">
              {past.map((r) => (
                <li
                  key={r.id}
                  className="flex flex-wrap items-center justify-between gap-2 px-4 py-3 text-sm"
                >
                  <span>
                    <span className="font-semibold">{label(r.spot_id)}</span> ·{' '}
                    {formatRange(parseInstant(r.start), parseInstant(r.end), zone)}
                  </span>
                  <span className="text-slate-600 dark:text-slate-400">
                    {STATUS_WORDS[r.status] ?? r.status}
                    {r.status === 'cancelled'
                      ? ' · refunded'
                      : r.status === 'no_show'
                        ? ' · partly refunded'
                        : ` · ${r.cost} credits`}
                  </span>
                </li>
              ))}
            </ul>
          </Card>
        )}
      </section>
    </div>
  );
}
