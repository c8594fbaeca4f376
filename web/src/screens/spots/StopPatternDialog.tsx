// Stopping a pattern withdraws the windows of its occurrences not yet started; the bookings
// in them are shown first and cancelled only when the owner says so.

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isCode } from '../../api/problems';
import { Dialog } from '../../components/Dialog';
import { useToast } from '../../components/Toasts';
import { Button, ErrorNotice, Notice } from '../../components/ui';
import { bookingsInTimeOff, patternSummary } from '../../lib/recurring';
import { addDays, localDate } from '../../lib/time';
import { BookingsAtRisk } from './BookingsAtRisk';
import { type PatternDialogProps, useRecurringChange } from './useRecurringChange';

export function StopPatternDialog({
  pattern,
  spot,
  bookings,
  zone,
  now,
  onClose,
}: PatternDialogProps) {
  const { t } = useTranslation('manage');
  const toast = useToast();
  const stop = useRecurringChange();
  const [refused, setRefused] = useState(false);
  const today = localDate(now, zone);
  const summary = patternSummary(pattern, today);
  // The occurrences from yesterday's (which may still run) to the last known booking's day:
  // no further, as nothing later can be cancelled.
  const lastEnd = Math.max(now, ...bookings.map((b) => b.end));
  const last = localDate(lastEnd, zone);
  const far = pattern.ends_on !== null && pattern.ends_on < last ? pattern.ends_on : last;
  const atRisk = bookingsInTimeOff(pattern, addDays(today, -1), far, bookings, zone, now);

  const confirm = (cancelReservations: boolean) =>
    stop
      .run(
        (api) =>
          api.stopPattern({
            pattern_id: pattern.id,
            cancel_reservations: cancelReservations || undefined,
          }),
        cancelReservations,
      )
      .then(
        () => {
          toast.success(
            t(
              cancelReservations ? 'spots.stopDialog.stoppedCancelled' : 'spots.stopDialog.stopped',
              {
                label: spot.label,
              },
            ),
          );
          onClose();
        },
        (error: unknown) => {
          if (!cancelReservations && isCode(error, 'has_reservations')) {
            stop.reset();
            setRefused(true);
          }
        },
      );

  return (
    <Dialog title={t('spots.stopDialog.title', { label: spot.label })} onClose={onClose}>
      <p className="text-sm">{t('spots.stopDialog.body', { summary })}</p>
      <div className="mt-3 space-y-2">
        <BookingsAtRisk bookings={atRisk} zone={zone} none={t('spots.stopDialog.none')} />
        {refused && (
          <Notice tone="warning">{t('spots.stopDialog.refused', { label: spot.label })}</Notice>
        )}
        <ErrorNotice error={stop.error} />
      </div>
      <div className="mt-4 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button variant="secondary" onClick={onClose} data-autofocus>
          {t('spots.keepSharing')}
        </Button>
        {refused ? (
          <Button variant="danger" pending={stop.pending} onClick={() => void confirm(true)}>
            {t('spots.cancelAndRefund')}
          </Button>
        ) : (
          <Button variant="danger" pending={stop.pending} onClick={() => void confirm(false)}>
            {t('spots.stop')}
          </Button>
        )}
      </div>
    </Dialog>
  );
}
