// Reserve a spot: pick a window (a sensible default, one-tap choices), see what it costs and
// what is left of your balance, confirm. The booking shows at once and is taken back if the
// server refuses it.

import { useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isCode } from '../api/problems';
import type { Me, Reservation, SpotView } from '../api/types';
import { useServices } from '../app/services';
import { keys } from '../data/keys';
import { meWithBooking, spotsWithBooking } from '../data/optimistic';
import { useAction } from '../hooks/useAction';
import { covers, type Interval } from '../lib/intervals';
import { spotFreeTimes } from '../lib/spots';
import {
  MINUTE_MS,
  floorToMinute,
  formatDuration,
  formatRange,
  formatWhen,
  fromLocalInput,
  toIso,
  toLocalInput,
  zoneAbbreviation,
} from '../lib/time';
import { randomUuid } from '../lib/uuid';
import { bookingChoices, checkBooking, defaultBooking } from '../lib/windows';
import { Dialog } from './Dialog';
import { useToast } from './Toasts';
import { Button, ErrorNotice, Notice } from './ui';
import { ChoiceChips, WindowInputs, type WindowText } from './WindowInputs';

export function ReserveDialog({
  spot,
  me,
  onClose,
}: {
  spot: SpotView;
  me: Me;
  onClose: () => void;
}) {
  const { t } = useTranslation('garage');
  const { api, cache } = useServices();
  const toast = useToast();
  const zone = me.building.timezone;
  const policy = me.building.policy;
  const opened = useRef(Date.now()).current;
  const free = useMemo(() => spotFreeTimes(spot).filter((i) => i.end > opened), [spot, opened]);

  const [text, setText] = useState<WindowText>(() => {
    const initial = defaultBooking(opened, zone, free);
    return { start: toLocalInput(initial.start, zone), end: toLocalInput(initial.end, zone) };
  });
  // "Now" is a moving target: while the start is the minute the dialog chose as now, the
  // booking starts when it is confirmed (a dialog left open for a while stays valid).
  const [startIsNow, setStartIsNow] = useState(
    () => fromLocalInput(text.start, zone) === floorToMinute(opened),
  );

  const start = fromLocalInput(text.start, zone) ?? Number.NaN;
  const end = fromLocalInput(text.end, zone) ?? Number.NaN;
  const check = checkBooking({ start, end }, Date.now(), policy);
  const inFreeTime =
    !check.error && free.some((i) => covers(i, { start: Math.max(start, opened), end }));
  const after = me.credits - policy.cost;
  const zoneNote = t('reserve.zoneNote', {
    zone,
    abbreviation: zoneAbbreviation(Number.isNaN(start) ? opened : start, zone),
  });

  const setWindow = (window: Interval, isNow = false) => {
    setText({ start: toLocalInput(window.start, zone), end: toLocalInput(window.end, zone) });
    setStartIsNow(isNow);
  };

  const reserve = useAction(async () => {
    const now = Date.now();
    const from = startIsNow ? Math.max(start, floorToMinute(now)) : start;
    const window = { start: toIso(from), end: toIso(end) };
    const idempotencyKey = randomUuid();
    const pending: Reservation = {
      id: `pending-${idempotencyKey}`,
      spot_id: spot.id,
      user_id: me.user.id,
      ...window,
      status: 'booked',
      cost: policy.cost,
      checked_in_at: null,
    };
    const undo = [
      cache.patch<SpotView[]>(
        (k) => k.startsWith('spots:'),
        (list) => spotsWithBooking(list, spot.id, window, now),
      ),
      cache.patch<Me>(
        (k) => k === keys.me,
        (m) => meWithBooking(m, pending),
      ),
    ];
    try {
      const booked = await api.reserve({ spot_id: spot.id, ...window }, idempotencyKey);
      cache.patch<Me>(
        (k) => k === keys.me,
        (m) => ({
          ...m,
          reservations: {
            ...m.reservations,
            upcoming: m.reservations.upcoming.map((r) => (r.id === pending.id ? booked : r)),
          },
        }),
      );
      cache.invalidatePrefix(keys.me, 'spots:');
      return booked;
    } catch (error) {
      for (const rollback of undo) rollback();
      if (isCode(error, 'spot_taken', 'spot_unavailable', 'spot_not_found'))
        cache.invalidatePrefix('spots:');
      throw error;
    }
  });

  const confirm = () => {
    reserve.run().then(
      (booked) => {
        toast.success(
          t('reserve.booked', {
            label: spot.label,
            range: formatRange(Date.parse(booked.start), Date.parse(booked.end), zone),
            count: booked.cost,
          }),
        );
        onClose();
      },
      () => {
        // Shown in the dialog.
      },
    );
  };

  return (
    <Dialog title={t('reserve.title', { label: spot.label })} onClose={onClose}>
      <div className="space-y-4">
        <p className="text-sm text-slate-700 dark:text-slate-300">
          {[spot.location, t('owner.sharedByInline', { name: spot.owner.display_name })]
            .filter(Boolean)
            .join(' · ')}
        </p>
        {free.length > 0 ? (
          <div>
            <p className="mb-2 text-sm font-medium">{t('reserve.freeTimes')}</p>
            <ChoiceChips
              label={t('reserve.freeTimes')}
              choices={free.slice(0, 4).map((i) => ({
                ...i,
                start: Math.max(i.start, floorToMinute(opened)),
                label: `${formatWhen(Math.max(i.start, opened), opened, zone)} – ${formatWhen(i.end, opened, zone)}`,
              }))}
              onPick={(choice) =>
                setWindow(
                  {
                    start: choice.start,
                    end: Math.min(choice.end, choice.start + policy.max_hours * 60 * MINUTE_MS),
                  },
                  choice.start === floorToMinute(opened),
                )
              }
            />
          </div>
        ) : (
          <Notice tone="warning">{t('reserve.noFreeTime')}</Notice>
        )}
        <div>
          <p className="mb-2 text-sm font-medium">{t('reserve.quickChoices')}</p>
          <ChoiceChips
            label={t('reserve.quickChoices')}
            choices={bookingChoices(opened, zone)}
            onPick={(choice) => setWindow(choice, choice.start === floorToMinute(opened))}
          />
        </div>
        <WindowInputs
          value={text}
          labels={[t('reserve.from'), t('reserve.until')]}
          zoneNote={zoneNote}
          invalid={Boolean(check.error)}
          onChange={(next, changed) => {
            setText(next);
            if (changed === 'start') setStartIsNow(false);
          }}
        />
        {check.error && (
          <p role="alert" className="text-sm font-medium text-red-800 dark:text-red-300">
            {check.error}
          </p>
        )}
        {check.warnings.map((warning) => (
          <Notice key={warning} tone="warning">
            {warning}
          </Notice>
        ))}
        {!check.error && free.length > 0 && !inFreeTime && (
          <Notice tone="warning">{t('reserve.mayBeRefused')}</Notice>
        )}
        <dl className="grid grid-cols-2 gap-x-4 gap-y-1 rounded-lg bg-slate-100 px-4 py-3 text-sm dark:bg-slate-800">
          <dt className="text-slate-700 dark:text-slate-300">{t('reserve.duration')}</dt>
          <dd className="text-right font-medium">
            {check.error ? '–' : formatDuration(end - start)}
          </dd>
          <dt className="text-slate-700 dark:text-slate-300">{t('reserve.cost')}</dt>
          <dd className="text-right font-medium" data-testid="reserve-cost">
            {t('creditCount', { count: policy.cost })}
          </dd>
          <dt className="text-slate-700 dark:text-slate-300">{t('reserve.balance')}</dt>
          <dd className="text-right font-medium" data-testid="reserve-balance">
            {t('reserve.balanceAfter', { balance: me.credits, count: after })}
          </dd>
        </dl>
        {after < 0 && <Notice tone="warning">{t('reserve.notEnough')}</Notice>}
        <ErrorNotice error={reserve.error} />
        <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <Button variant="secondary" onClick={onClose}>
            {t('reserve.notNow')}
          </Button>
          <Button
            size="lg"
            onClick={confirm}
            pending={reserve.pending}
            disabled={Boolean(check.error)}
            data-autofocus
          >
            {reserve.pending ? t('reserve.reserving') : t('reserve.confirm')}
          </Button>
        </div>
      </div>
    </Dialog>
  );
}
