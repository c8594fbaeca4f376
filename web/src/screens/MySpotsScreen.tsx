// My spots: add one, share it now for a few hours, for chosen windows or every week (with
// time off), withdraw a window (cancelling the bookings in it only when the owner says so).

import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { isCode, problemMessage } from '../api/problems';
import type { Me, Pattern, Spot, SpotView } from '../api/types';
import { useServices } from '../app/services';
import { Dialog } from '../components/Dialog';
import { useToast } from '../components/Toasts';
import {
  Button,
  Card,
  EmptyState,
  ErrorNotice,
  Loading,
  PageTitle,
  SectionTitle,
  SelectField,
  TextArea,
  TextField,
} from '../components/ui';
import { ChoiceChips, WindowInputs, type WindowText } from '../components/WindowInputs';
import { keys } from '../data/keys';
import { spotsWithAvailability } from '../data/optimistic';
import { usePatterns, useSpots } from '../hooks/data';
import { useAction } from '../hooks/useAction';
import { useNow } from '../hooks/useNow';
import { overlaps, type Interval } from '../lib/intervals';
import { href } from '../lib/router';
import { toInterval } from '../lib/spots';
import {
  DAY_MS,
  HOUR_MS,
  floorToMinute,
  formatRange,
  formatWhen,
  fromLocalInput,
  toIso,
  toLocalInput,
  zoneAbbreviation,
} from '../lib/time';
import { checkSharing, sharingChoices } from '../lib/windows';
import { RecurringSharing } from './spots/RecurringSharing';

const SHARE_HOURS = [1, 2, 3, 4, 6, 8, 12, 24];
/** How far ahead the screen lists windows and bookings (the policy horizon is 30 days by default). */
const AHEAD_MS = 31 * DAY_MS;

interface Change {
  window: Interval;
  available: boolean;
  cancelReservations?: boolean;
}

function useAvailabilityChange(spotId: string) {
  const { api, cache } = useServices();
  return useAction(async ({ window, available, cancelReservations = false }: Change) => {
    const w = { start: toIso(window.start), end: toIso(window.end) };
    const undo = cache.patch<SpotView[]>(
      (k) => k.startsWith('spots:'),
      (list) => spotsWithAvailability(list, spotId, w, available, Date.now()),
    );
    try {
      const answer = await api.setAvailability({
        spot_id: spotId,
        ...w,
        available,
        cancel_reservations: cancelReservations || undefined,
      });
      cache.invalidatePrefix('spots:');
      if (cancelReservations) cache.invalidatePrefix(keys.me);
      return answer;
    } catch (error) {
      undo();
      throw error;
    }
  });
}

export function MySpotsScreen({ me }: { me: Me }) {
  const { t } = useTranslation('manage');
  const zone = me.building.timezone;
  const now = useNow();
  const views = useSpots(keys.mySpots, () => {
    const at = Date.now();
    return { start: toIso(at), end: toIso(at + AHEAD_MS) };
  });
  const byId = new Map((views.data ?? []).map((s) => [s.id, s]));
  const patterns = usePatterns();

  return (
    <div>
      <PageTitle aside={t('mySpots.timesIn', { zone, abbreviation: zoneAbbreviation(now, zone) })}>
        {t('mySpots.title')}
      </PageTitle>
      {views.error !== undefined && views.error !== null && (
        <div className="mb-4">
          <ErrorNotice error={views.error} onRetry={views.refetch} />
        </div>
      )}
      {patterns.error !== undefined && patterns.error !== null && (
        <div className="mb-4">
          <ErrorNotice error={patterns.error} onRetry={patterns.refetch} />
        </div>
      )}
      {me.spots.length === 0 ? (
        <EmptyState title={t('mySpots.emptyTitle')}>{t('mySpots.emptyBody')}</EmptyState>
      ) : (
        <ul className="space-y-4">
          {me.spots.map((spot) => (
            <MySpotCard
              key={spot.id}
              spot={spot}
              view={byId.get(spot.id)}
              patterns={(patterns.data ?? []).filter((p) => p.spot_id === spot.id)}
              loading={!views.data && !views.error}
              zone={zone}
              now={now}
            />
          ))}
        </ul>
      )}
      <AddSpotForm me={me} />
    </div>
  );
}

const WINDOWS_SHOWN = 4;

function MySpotCard({
  spot,
  view,
  patterns,
  loading,
  zone,
  now,
}: {
  spot: Spot;
  view: SpotView | undefined;
  patterns: Pattern[];
  loading: boolean;
  zone: string;
  now: number;
}) {
  const { t } = useTranslation('manage');
  const [showAll, setShowAll] = useState(false);
  const withdrawal = useWithdraw(spot, zone);
  // Just added, the server's answer (and the spot's id) still on its way.
  const pending = spot.id.startsWith('pending-');
  const windows = (view?.availability ?? []).map(toInterval).filter((w) => w.end > now);
  const bookings = (view?.reservations ?? []).map(toInterval).filter((r) => r.end > now);
  return (
    <li
      data-testid="my-spot"
      data-spot-label={spot.label}
      aria-busy={pending || undefined}
      className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="text-xl font-bold" translate="no">
          {spot.label}
        </h2>
        <a
          href={href(`spots/${spot.id}`)}
          className="text-sm font-semibold text-blue-800 underline-offset-2 hover:underline dark:text-sky-300"
          aria-label={t('mySpots.timelineOf', { label: spot.label })}
        >
          {t('mySpots.timeline')}
        </a>
      </div>
      {(spot.location || spot.notes) && (
        <p className="text-sm text-slate-600 dark:text-slate-400" translate="no">
          {[spot.location, spot.notes].filter(Boolean).join(' · ')}
        </p>
      )}
      <ShareNow spot={spot} zone={zone} disabled={pending} />
      <div className="mt-4">
        <h3 className="mb-2 text-sm font-semibold">{t('mySpots.shared')}</h3>
        {loading ? (
          <Loading label={t('mySpots.loadingWindows')} />
        ) : windows.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">{t('mySpots.notShared')}</p>
        ) : (
          <>
            <ul className="space-y-2">
              {(showAll ? windows : windows.slice(0, WINDOWS_SHOWN)).map((w) => (
                <SharedWindow
                  key={`${w.start}-${w.end}`}
                  window={w}
                  bookings={bookings.filter((b) => overlaps(b, w))}
                  zone={zone}
                  busy={withdrawal.pending}
                  // What has begun stays: withdraw from now on.
                  onWithdraw={() =>
                    void withdrawal.withdraw(
                      { start: Math.max(w.start, floorToMinute(Date.now())), end: w.end },
                      false,
                    )
                  }
                />
              ))}
            </ul>
            {windows.length > WINDOWS_SHOWN && (
              <Button
                variant="ghost"
                size="sm"
                className="mt-1"
                aria-expanded={showAll}
                onClick={() => setShowAll((v) => !v)}
              >
                {showAll ? t('mySpots.showFewer') : t('mySpots.showAll', { count: windows.length })}
              </Button>
            )}
          </>
        )}
      </div>
      {withdrawal.error !== null && (
        <div className="mt-2">
          <ErrorNotice error={withdrawal.error} />
        </div>
      )}
      {withdrawal.dialog}
      {!pending && (
        <RecurringSharing spot={spot} view={view} patterns={patterns} zone={zone} now={now} />
      )}
      {!pending && <ShareWindowForm spot={spot} zone={zone} now={now} />}
    </li>
  );
}

function ShareNow({ spot, zone, disabled }: { spot: Spot; zone: string; disabled: boolean }) {
  const { t } = useTranslation('manage');
  const toast = useToast();
  const [hours, setHours] = useState(2);
  const change = useAvailabilityChange(spot.id);
  const titleId = useId();
  const share = (event: FormEvent) => {
    event.preventDefault();
    const start = floorToMinute(Date.now());
    const window = { start, end: start + hours * HOUR_MS };
    change.run({ window, available: true }).then(
      () =>
        toast.success(
          t('mySpots.sharedUntil', {
            label: spot.label,
            when: formatWhen(window.end, start, zone),
          }),
        ),
      () => {},
    );
  };
  return (
    <form
      onSubmit={share}
      className="mt-3 rounded-lg bg-slate-100 p-3 dark:bg-slate-800"
      aria-labelledby={titleId}
    >
      <p id={titleId} className="mb-2 text-sm font-semibold">
        {t('mySpots.shareNow')}
      </p>
      <div className="flex items-end gap-2">
        <SelectField
          label={t('mySpots.hours')}
          value={hours}
          disabled={disabled}
          onChange={(e) => setHours(Number(e.target.value))}
          className="w-28"
        >
          {SHARE_HOURS.map((h) => (
            <option key={h} value={h}>
              {t('mySpots.hoursOption', { hours: h })}
            </option>
          ))}
        </SelectField>
        <Button type="submit" pending={change.pending} disabled={disabled}>
          {t('mySpots.share')}
        </Button>
      </div>
      {change.error !== null && (
        <div className="mt-2">
          <ErrorNotice error={change.error} />
        </div>
      )}
    </form>
  );
}

function SharedWindow({
  window,
  bookings,
  zone,
  busy,
  onWithdraw,
}: {
  window: Interval;
  bookings: Interval[];
  zone: string;
  busy: boolean;
  onWithdraw: () => void;
}) {
  const { t } = useTranslation('manage');
  return (
    <li className="flex flex-wrap items-center gap-2 rounded-lg border border-slate-200 px-3 py-2 dark:border-slate-700">
      <div className="min-w-0 flex-1 text-sm">
        <p className="font-medium">{formatRange(window.start, window.end, zone)}</p>
        {bookings.length > 0 && (
          <p className="text-slate-600 dark:text-slate-400">
            {t('mySpots.bookingsIn', {
              count: bookings.length,
              list: bookings.map((b) => formatRange(b.start, b.end, zone)).join('; '),
            })}
          </p>
        )}
      </div>
      <Button variant="secondary" size="sm" disabled={busy} onClick={onWithdraw}>
        {t('mySpots.withdraw')}
      </Button>
    </li>
  );
}

/**
 * Withdrawing a window, asking first when it holds bookings. The state lives with the spot,
 * not with the window's row: the row disappears at once (optimistically) and comes back if
 * the server refuses.
 */
function useWithdraw(spot: Spot, zone: string) {
  const { t } = useTranslation('manage');
  const toast = useToast();
  const change = useAvailabilityChange(spot.id);
  const [confirming, setConfirming] = useState<Interval | null>(null);
  const withdraw = (span: Interval, cancelReservations: boolean) =>
    change.run({ window: span, available: false, cancelReservations }).then(
      () => {
        setConfirming(null);
        toast.success(
          t(cancelReservations ? 'mySpots.noLongerSharedCancelled' : 'mySpots.noLongerShared', {
            label: spot.label,
            range: formatRange(span.start, span.end, zone),
          }),
        );
      },
      (error: unknown) => {
        if (!cancelReservations && isCode(error, 'has_reservations')) {
          change.reset();
          setConfirming(span);
        }
      },
    );
  const dialog = confirming && (
    <Dialog
      title={t('mySpots.withdrawTitle', { label: spot.label })}
      onClose={() => setConfirming(null)}
    >
      <p className="text-sm">
        {t('mySpots.withdrawBody', {
          label: spot.label,
          range: formatRange(confirming.start, confirming.end, zone),
        })}
      </p>
      <div className="mt-4">
        <ErrorNotice
          error={change.error}
          overrides={{
            has_reservations: t('mySpots.underWay'),
          }}
        />
      </div>
      <div className="mt-4 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button variant="secondary" onClick={() => setConfirming(null)} data-autofocus>
          {t('mySpots.keepSharing')}
        </Button>
        <Button
          variant="danger"
          pending={change.pending}
          onClick={() => void withdraw(confirming, true)}
        >
          {t('mySpots.withdrawAndCancel')}
        </Button>
      </div>
    </Dialog>
  );
  return { withdraw, pending: change.pending, error: confirming ? null : change.error, dialog };
}

function ShareWindowForm({ spot, zone, now }: { spot: Spot; zone: string; now: number }) {
  const { t } = useTranslation('manage');
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState<WindowText>({ start: '', end: '' });
  const share = useAvailabilityChange(spot.id);
  const start = fromLocalInput(text.start, zone) ?? Number.NaN;
  const end = fromLocalInput(text.end, zone) ?? Number.NaN;
  const check = checkSharing({ start, end });

  const submit = (available: boolean) => {
    if (check.error) return;
    share.run({ window: { start, end }, available }).then(
      () =>
        toast.success(
          t(available ? 'mySpots.isShared' : 'mySpots.noLongerShared', {
            label: spot.label,
            range: formatRange(start, end, zone),
          }),
        ),
      (error: unknown) => {
        if (!available && isCode(error, 'has_reservations')) {
          toast.error(t('mySpots.withdrawFromList', { problem: problemMessage(error) }));
        }
      },
    );
  };

  return (
    <div className="mt-3">
      <Button variant="ghost" size="sm" aria-expanded={open} onClick={() => setOpen((v) => !v)}>
        {open ? t('mySpots.hideOtherTimes') : t('mySpots.chooseOtherTimes')}
      </Button>
      {open && (
        <form
          className="mt-2 space-y-3 rounded-lg border border-slate-200 p-3 dark:border-slate-700"
          onSubmit={(e) => {
            e.preventDefault();
            submit(true);
          }}
        >
          <ChoiceChips
            label={t('mySpots.commonWindows')}
            choices={sharingChoices(now, zone)}
            onPick={(c) =>
              setText({ start: toLocalInput(c.start, zone), end: toLocalInput(c.end, zone) })
            }
          />
          <WindowInputs
            value={text}
            onChange={setText}
            labels={[t('mySpots.start'), t('mySpots.end')]}
            zoneNote={t('mySpots.zoneTime', { zone })}
            invalid={Boolean(text.start && text.end && check.error)}
          />
          {text.start && text.end && check.error && (
            <p className="text-sm text-red-800 dark:text-red-300">{check.error}</p>
          )}
          <ErrorNotice error={share.error} />
          <div className="flex flex-wrap gap-2">
            <Button type="submit" disabled={Boolean(check.error)} pending={share.pending}>
              {t('mySpots.offer')}
            </Button>
            <Button
              variant="secondary"
              disabled={Boolean(check.error) || share.pending}
              onClick={() => submit(false)}
            >
              {t('mySpots.withdrawTimes')}
            </Button>
          </div>
        </form>
      )}
    </div>
  );
}

function AddSpotForm({ me }: { me: Me }) {
  const { t } = useTranslation('manage');
  const { api, cache } = useServices();
  const toast = useToast();
  const [label, setLabel] = useState('');
  const [location, setLocation] = useState('');
  const [notes, setNotes] = useState('');
  const add = useAction(async () => {
    const body = {
      label: label.trim(),
      location: location.trim() || undefined,
      notes: notes.trim() || undefined,
    };
    const pending: Spot = {
      id: `pending-${body.label}`,
      label: body.label,
      location: body.location ?? null,
      notes: body.notes ?? null,
      owner: { id: me.user.id, display_name: me.user.display_name },
    };
    const undo = cache.patch<Me>(
      (k) => k === keys.me,
      (m) => ({ ...m, spots: [...m.spots, pending] }),
    );
    try {
      const spot = await api.addSpot(body);
      cache.patch<Me>(
        (k) => k === keys.me,
        (m) => ({ ...m, spots: m.spots.map((s) => (s.id === pending.id ? spot : s)) }),
      );
      cache.invalidatePrefix(keys.me, 'spots:');
      return spot;
    } catch (error) {
      undo();
      throw error;
    }
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.run().then(
      (spot) => {
        toast.success(t('mySpots.add.added', { label: spot.label }));
        setLabel('');
        setLocation('');
        setNotes('');
      },
      () => {},
    );
  };
  return (
    <Card className="mt-8">
      <SectionTitle>{t('mySpots.add.title')}</SectionTitle>
      <form onSubmit={submit} className="space-y-3">
        <TextField
          label={t('mySpots.add.label')}
          required
          maxLength={32}
          value={label}
          onChange={(e) => setLabel(e.target.value)}
          hint={t('mySpots.add.labelHint')}
        />
        <TextField
          label={t('mySpots.add.location')}
          maxLength={200}
          value={location}
          onChange={(e) => setLocation(e.target.value)}
        />
        <TextArea
          label={t('mySpots.add.notes')}
          maxLength={2000}
          rows={2}
          value={notes}
          onChange={(e) => setNotes(e.target.value)}
        />
        <ErrorNotice error={add.error} />
        <Button type="submit" pending={add.pending} disabled={!label.trim()}>
          {t('mySpots.add.submit')}
        </Button>
      </form>
    </Card>
  );
}
