// "Find me a spot": any spot for a window. Booked at once when one is free for all of it,
// otherwise the request waits and the server books the first spot that frees up (the
// request.matched event refreshes this list and the bookings above it, live).

import i18next from 'i18next';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Me, SpotRequest } from '../api/types';
import { useServices } from '../app/services';
import { keys } from '../data/keys';
import { useMyRequests } from '../hooks/data';
import { useAction } from '../hooks/useAction';
import {
  fromLocalInput,
  formatRange,
  nextFullHour,
  parseInstant,
  toIso,
  toLocalInput,
  zoneAbbreviation,
  HOUR_MS,
} from '../lib/time';
import { useToast } from './Toasts';
import { Button, Card, ErrorNotice, SectionTitle } from './ui';
import { WindowInputs, type WindowText } from './WindowInputs';

export function requestOutcome(
  request: SpotRequest,
  label: (spotId: string) => string,
  spotOf: (reservationId: string) => string | null,
): string {
  const t = i18next.getFixedT(null, 'garage', 'find');
  if (request.status === 'matched' && request.reservation_id) {
    const spot = spotOf(request.reservation_id);
    return spot ? t('bookedSpot', { label: label(spot) }) : t('status.matched');
  }
  if (request.status === 'waiting') {
    // How many others' requests for this time are served first, as the server counts now.
    if (request.ahead == null) return t('waiting');
    if (request.ahead === 0) return t('waitingNext');
    return t('waitingAhead', { count: request.ahead });
  }
  return t(`status.${request.status}`);
}

export function FindSpotCard({ me, label }: { me: Me; label: (spotId: string) => string }) {
  const { t } = useTranslation('garage');
  const { api, cache } = useServices();
  const toast = useToast();
  const zone = me.building.timezone;
  const requests = useMyRequests();
  const [text, setText] = useState<WindowText>(() => {
    const start = nextFullHour(Date.now(), zone);
    return { start: toLocalInput(start, zone), end: toLocalInput(start + 2 * HOUR_MS, zone) };
  });
  const start = fromLocalInput(text.start, zone);
  const end = fromLocalInput(text.end, zone);
  const invalid = start === null || end === null || end <= start;
  const spotOf = (reservationId: string) =>
    me.reservations.upcoming.find((r) => r.id === reservationId)?.spot_id ??
    me.reservations.past.find((r) => r.id === reservationId)?.spot_id ??
    null;

  const ask = useAction(async () => {
    if (start === null || end === null) return;
    const made = await api.requestSpot({ start: toIso(start), end: toIso(end) });
    cache.invalidatePrefix(keys.me, 'spots:');
    toast.success(made.status === 'matched' ? t('find.bookedToast') : t('find.waitingToast'));
  });
  const withdraw = useAction(async (id: string) => {
    await api.withdrawRequest(id);
    cache.invalidatePrefix(keys.requests);
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    ask.run().catch(() => {});
  };
  const shown = (requests.data ?? [])
    .filter((r) => r.status === 'waiting' || r.status === 'matched')
    .slice(0, 10);
  return (
    <Card>
      <SectionTitle>{t('find.title')}</SectionTitle>
      <p className="mb-3 text-sm text-slate-700 dark:text-slate-300">{t('find.intro')}</p>
      <form onSubmit={submit} className="space-y-3" aria-label={t('find.title')}>
        <WindowInputs
          value={text}
          onChange={(next) => setText(next)}
          labels={[t('find.from'), t('find.until')]}
          zoneNote={t('find.timesIn', {
            abbreviation: zoneAbbreviation(start ?? Date.now(), zone),
          })}
          invalid={invalid}
        />
        <ErrorNotice error={ask.error} />
        <Button type="submit" pending={ask.pending} disabled={invalid}>
          {t('find.submit')}
        </Button>
      </form>
      {shown.length > 0 && (
        <ul className="mt-4 space-y-2" aria-label={t('find.myRequests')}>
          {shown.map((r) => (
            <li
              key={r.id}
              data-testid="request"
              data-status={r.status}
              className="flex flex-wrap items-center justify-between gap-2 text-sm"
            >
              <span>
                <span className="font-semibold">
                  {formatRange(parseInstant(r.start), parseInstant(r.end), zone)}
                </span>
                {' · '}
                {requestOutcome(r, label, spotOf)}
              </span>
              {r.status === 'waiting' && (
                <Button
                  variant="secondary"
                  pending={withdraw.pending}
                  onClick={() => withdraw.run(r.id).catch(() => {})}
                >
                  {t('find.withdraw')}
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      <ErrorNotice error={withdraw.error} />
    </Card>
  );
}
