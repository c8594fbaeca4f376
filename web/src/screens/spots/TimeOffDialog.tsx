// Time off: no sharing from one local day to another. The bookings it would cancel are shown
// before confirming; when the server finds some (has_reservations) the owner may cancel
// them, refunding the parkers.

import { useState } from 'react';
import { isCode } from '../../api/problems';
import { Dialog } from '../../components/Dialog';
import { useToast } from '../../components/Toasts';
import { Button, ErrorNotice, Notice, TextField } from '../../components/ui';
import {
  MAX_PATTERN_DAYS,
  bookingsInTimeOff,
  occurrencesBetween,
  patternSummary,
} from '../../lib/recurring';
import { addDays, formatDay, localDate } from '../../lib/time';
import { BookingsAtRisk } from './BookingsAtRisk';
import { type PatternDialogProps, useRecurringChange } from './useRecurringChange';

function problemOf(first: string, last: string, today: string): string | null {
  if (!first || !last) return 'Choose the first and the last day.';
  if (last < first) return 'The last day can’t be before the first.';
  if (last < today) return 'Those days are over.';
  if (last > addDays(first, MAX_PATTERN_DAYS)) return 'Time off lasts at most a year.';
  return null;
}

export function TimeOffDialog({ pattern, spot, bookings, zone, now, onClose }: PatternDialogProps) {
  const toast = useToast();
  const pause = useRecurringChange();
  const today = localDate(now, zone);
  const [first, setFirst] = useState(addDays(today, 1));
  const [last, setLast] = useState(addDays(today, 1));
  const [refused, setRefused] = useState(false);
  const problem = problemOf(first, last, today);
  // One under way keeps its window to its end: it is no day off.
  const daysOff = problem
    ? []
    : occurrencesBetween(pattern, first, last, zone).filter((o) => o.start > now);
  const atRisk = problem ? [] : bookingsInTimeOff(pattern, first, last, bookings, zone, now);

  const confirm = (cancelReservations: boolean) => {
    if (problem) return;
    pause
      .run(
        (api) =>
          api.pausePattern({
            pattern_id: pattern.id,
            start_date: first,
            end_date: last,
            cancel_reservations: cancelReservations || undefined,
          }),
        cancelReservations,
      )
      .then(
        () => {
          toast.success(
            `${spot.label} takes time off ${first === last ? `on ${first}` : `from ${first} to ${last}`}${cancelReservations ? '; its bookings were cancelled and refunded' : ''}.`,
          );
          onClose();
        },
        (error: unknown) => {
          if (!cancelReservations && isCode(error, 'has_reservations')) {
            pause.reset();
            setRefused(true);
          }
        },
      );
  };
  const change = (set: (value: string) => void) => (value: string) => {
    set(value);
    setRefused(false);
  };

  return (
    <Dialog title={`Time off for ${spot.label}`} onClose={onClose}>
      <p className="text-sm">
        {patternSummary(pattern, today)}. Not shared on the days you choose; windows already offered
        on them are withdrawn.
      </p>
      <div className="mt-3 grid grid-cols-2 gap-3">
        <TextField
          label="First day"
          type="date"
          required
          min={today}
          value={first}
          onChange={(e) => change(setFirst)(e.target.value)}
          data-autofocus
        />
        <TextField
          label="Last day"
          type="date"
          required
          min={first || today}
          value={last}
          onChange={(e) => change(setLast)(e.target.value)}
        />
      </div>
      <div className="mt-3 space-y-2" aria-live="polite">
        {problem ? (
          <p className="text-sm text-red-800 dark:text-red-300">{problem}</p>
        ) : (
          <>
            <p className="text-sm">
              {daysOff.length === 0
                ? 'It isn’t shared on those days anyway.'
                : `Days off: ${daysOff.map((o) => formatDay(o.start, zone)).join(', ')}.`}
            </p>
            <BookingsAtRisk bookings={atRisk} zone={zone} none="No booking on those days." />
          </>
        )}
        {refused && (
          <Notice tone="warning">
            Residents have booked {spot.label} on those days. Cancel those bookings and refund them,
            or keep sharing.
          </Notice>
        )}
        <ErrorNotice error={pause.error} />
      </div>
      <div className="mt-4 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button variant="secondary" onClick={onClose}>
          Keep sharing
        </Button>
        {refused ? (
          <Button variant="danger" pending={pause.pending} onClick={() => confirm(true)}>
            Cancel those bookings and refund
          </Button>
        ) : (
          <Button
            pending={pause.pending}
            disabled={Boolean(problem)}
            onClick={() => confirm(false)}
          >
            Take time off
          </Button>
        )}
      </div>
    </Dialog>
  );
}
