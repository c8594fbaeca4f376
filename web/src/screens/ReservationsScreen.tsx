// My reservations: what is coming (cancel before it starts, refunded in full) and the past.

import { useTranslation } from 'react-i18next';
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
  const { t } = useTranslation('garage');
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
            translate="no"
          >
            {label}
          </a>
          {started && (
            <span className="ml-2 rounded-full bg-blue-100 px-2 py-0.5 text-xs font-semibold text-blue-900 dark:bg-sky-950 dark:text-sky-200">
              {t('reservations.now')}
            </span>
          )}
        </p>
        <p className="text-sm">{formatRange(start, end, zone)}</p>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          {formatDuration(end - start)} · {t('creditCount', { count: reservation.cost })} ·{' '}
          {started
            ? t('reservations.ends', { when: formatWhen(end, now, zone) })
            : t('reservations.starts', { when: formatWhen(start, now, zone) })}
        </p>
      </div>
      {checkinOpen(reservation, grace, now) && !pending && (
        <Button
          pending={checkin.pending}
          onClick={() =>
            checkin.run().then(
              () => toast.success(t('reservations.checkedInToast', { label })),
              (error: unknown) =>
                toast.error(t('reservations.failed', { label, message: problemMessage(error) })),
            )
          }
        >
          {t('reservations.checkIn')}
        </Button>
      )}
      {reservation.checked_in_at && (
        <span className="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200">
          {t('reservations.checkedIn')}
        </span>
      )}
      <Button
        variant="secondary"
        disabled={pending}
        aria-label={t('reservations.addToCalendar', {
          label,
          range: formatRange(start, end, zone),
        })}
        title={t('reservations.icsHint')}
        onClick={() =>
          downloadIcs(
            icsFileName(label, start),
            bookingIcs({
              id: reservation.id,
              start,
              end,
              summary: t('reservations.icsSummary', { label }),
              location: t('reservations.icsLocation', { label }),
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
        title={started ? t('reservations.startedNoCancel') : undefined}
        onClick={() =>
          cancel.run().then(
            () =>
              toast.success(
                t('reservations.cancelledToast', {
                  label,
                  range: formatRange(start, end, zone),
                  count: reservation.cost,
                }),
              ),
            // The row disappeared at once (optimistically) and is back now: say why here.
            (error: unknown) =>
              toast.error(t('reservations.failed', { label, message: problemMessage(error) })),
          )
        }
      >
        {t('reservations.cancel')}
      </Button>
      {started && (
        <p className="w-full text-xs text-slate-600 dark:text-slate-400">
          {t('reservations.underWay')}
        </p>
      )}
    </li>
  );
}

// The statuses of past bookings the catalogue names (garage:reservations.status.*).
const PAST_STATUSES = new Set(['cancelled', 'settled', 'no_show', 'booked']);

export function ReservationsScreen({ me }: { me: Me }) {
  const { t } = useTranslation('garage');
  const zone = me.building.timezone;
  const now = useNow();
  const labels = useSpotLabels(me);
  const { upcoming, past } = me.reservations;
  const label = (id: string) => labels.get(id) ?? t('reservations.spot');

  return (
    <div>
      <PageTitle aside={t('timesIn', { zone, abbreviation: zoneAbbreviation(now, zone) })}>
        {t('reservations.title')}
      </PageTitle>
      <div className="mb-8">
        <FindSpotCard me={me} label={label} />
      </div>
      <section aria-labelledby="upcoming-title" className="mb-8">
        <SectionTitle id="upcoming-title">{t('reservations.upcoming')}</SectionTitle>
        {upcoming.length === 0 ? (
          <EmptyState title={t('reservations.noUpcoming')}>
            <a href={href('garage')} className={`${buttonClass('primary')} mt-2`}>
              {t('reservations.findFree')}
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
        <SectionTitle id="past-title">{t('reservations.past')}</SectionTitle>
        {past.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">
            {t('reservations.nothingYet')}
          </p>
        ) : (
          <Card as="div" className="p-0">
            <ul className="divide-y divide-slate-200 dark:divide-slate-800">
              {past.map((r) => (
                <li
                  key={r.id}
                  className="flex flex-wrap items-center justify-between gap-2 px-4 py-3 text-sm"
                >
                  <span>
                    <span className="font-semibold" translate="no">
                      {label(r.spot_id)}
                    </span>{' '}
                    · {formatRange(parseInstant(r.start), parseInstant(r.end), zone)}
                  </span>
                  <span className="text-slate-600 dark:text-slate-400">
                    {PAST_STATUSES.has(r.status) ? t(`reservations.status.${r.status}`) : r.status}
                    {' · '}
                    {r.status === 'cancelled'
                      ? t('reservations.refunded')
                      : r.status === 'no_show'
                        ? t('reservations.partlyRefunded')
                        : t('creditCount', { count: r.cost })}
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
