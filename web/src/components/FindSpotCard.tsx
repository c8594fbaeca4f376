// "Find me a spot": any spot for a window. Booked at once when one is free for all of it,
// otherwise the request waits and the server books the first spot that frees up (the
// request.matched event refreshes this list and the bookings above it, live).

import { useState, type FormEvent } from 'react';
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

const WORDS: Record<SpotRequest['status'], string> = {
  waiting: 'Waiting',
  matched: 'Booked',
  expired: 'Expired',
  withdrawn: 'Withdrawn',
};

export function requestOutcome(
  request: SpotRequest,
  label: (spotId: string) => string,
  spotOf: (reservationId: string) => string | null,
): string {
  if (request.status === 'matched' && request.reservation_id) {
    const spot = spotOf(request.reservation_id);
    return spot ? `Booked ${label(spot)}` : 'Booked';
  }
  if (request.status === 'waiting') {
    const waiting = "Waiting — we'll book the first spot that frees up";
    // How many others' requests for this time are served first, as the server counts now.
    if (request.ahead == null) return waiting;
    if (request.ahead === 0) return `${waiting} (you are next)`;
    return `${waiting} (${request.ahead} ahead of you)`;
  }
  return WORDS[request.status];
}

export function FindSpotCard({ me, label }: { me: Me; label: (spotId: string) => string }) {
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
    toast.success(
      made.status === 'matched'
        ? 'Booked: see your upcoming bookings.'
        : "Waiting — we'll book the first spot that frees up.",
    );
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
      <SectionTitle>Find me a spot</SectionTitle>
      <p className="mb-3 text-sm text-slate-700 dark:text-slate-300">
        Any free spot for your window. If none is free, your request waits and the first spot that
        frees up is booked for you.
      </p>
      <form onSubmit={submit} className="space-y-3" aria-label="Find me a spot">
        <WindowInputs
          value={text}
          onChange={(next) => setText(next)}
          labels={['From', 'Until']}
          zoneNote={`Times in ${zoneAbbreviation(start ?? Date.now(), zone)}`}
          invalid={invalid}
        />
        <ErrorNotice error={ask.error} />
        <Button type="submit" pending={ask.pending} disabled={invalid}>
          Find me a spot
        </Button>
      </form>
      {shown.length > 0 && (
        <ul className="mt-4 space-y-2" aria-label="My requests">
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
                  Withdraw
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
