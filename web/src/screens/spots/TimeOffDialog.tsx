// Time off: no sharing from one local day to another. The bookings it would cancel are shown
// before confirming; when the server finds some (has_reservations) the owner may cancel
// them, refunding the parkers.

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
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

/** What is wrong with the days chosen, as the key of its message, or null. */
function problemOf(first: string, last: string, today: string): string | null {
  if (!first || !last) return 'spots.timeOffDialog.chooseDays';
  if (last < first) return 'spots.timeOffDialog.lastBeforeFirst';
  if (last < today) return 'spots.timeOffDialog.over';
  if (last > addDays(first, MAX_PATTERN_DAYS)) return 'spots.timeOffDialog.tooLong';
  return null;
}

export function TimeOffDialog({ pattern, spot, bookings, zone, now, onClose }: PatternDialogProps) {
  const { t } = useTranslation('manage');
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
          const key = first === last ? 'takenOn' : 'takenFromTo';
          toast.success(
            t(`spots.timeOffDialog.${key}${cancelReservations ? 'Cancelled' : ''}`, {
              label: spot.label,
              date: first,
              first,
              last,
            }),
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
    <Dialog title={t('spots.timeOffDialog.title', { label: spot.label })} onClose={onClose}>
      <p className="text-sm">
        {t('spots.timeOffDialog.body', { summary: patternSummary(pattern, today) })}
      </p>
      <div className="mt-3 grid grid-cols-2 gap-3">
        <TextField
          label={t('spots.timeOffDialog.firstDay')}
          type="date"
          required
          min={today}
          value={first}
          onChange={(e) => change(setFirst)(e.target.value)}
          data-autofocus
        />
        <TextField
          label={t('spots.timeOffDialog.lastDay')}
          type="date"
          required
          min={first || today}
          value={last}
          onChange={(e) => change(setLast)(e.target.value)}
        />
      </div>
      <div className="mt-3 space-y-2" aria-live="polite">
        {problem ? (
          <p className="text-sm text-red-800 dark:text-red-300">{t(problem)}</p>
        ) : (
          <>
            <p className="text-sm">
              {daysOff.length === 0
                ? t('spots.timeOffDialog.notShared')
                : t('spots.timeOffDialog.daysOff', {
                    days: daysOff.map((o) => formatDay(o.start, zone)).join(', '),
                  })}
            </p>
            <BookingsAtRisk bookings={atRisk} zone={zone} none={t('spots.timeOffDialog.none')} />
          </>
        )}
        {refused && (
          <Notice tone="warning">{t('spots.timeOffDialog.refused', { label: spot.label })}</Notice>
        )}
        <ErrorNotice error={pause.error} />
      </div>
      <div className="mt-4 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button variant="secondary" onClick={onClose}>
          {t('spots.keepSharing')}
        </Button>
        {refused ? (
          <Button variant="danger" pending={pause.pending} onClick={() => confirm(true)}>
            {t('spots.cancelAndRefund')}
          </Button>
        ) : (
          <Button
            pending={pause.pending}
            disabled={Boolean(problem)}
            onClick={() => confirm(false)}
          >
            {t('spots.timeOffDialog.submit')}
          </Button>
        )}
      </div>
    </Dialog>
  );
}
