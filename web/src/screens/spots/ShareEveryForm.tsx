// "Share every…": a spot shared on chosen weekdays at the same local times, every week or
// every few, until an optional end, with its next occurrences shown before it is sent.

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Spot } from '../../api/types';
import { useToast } from '../../components/Toasts';
import { Button, ErrorNotice, SelectField, TextField } from '../../components/ui';
import {
  MAX_PATTERN_DAYS,
  isWallTime,
  nextOccurrences,
  patternSummary,
  type PatternRule,
} from '../../lib/recurring';
import { addDays, localDate } from '../../lib/time';
import { OccurrencePreview } from './OccurrencePreview';
import { useRecurringChange } from './useRecurringChange';
import { WeekdayChips } from './WeekdayChips';

const PREVIEWED = 6;

interface Draft {
  weekdays: number[];
  from: string;
  until: string;
  everyWeeks: number;
  endsOn: string;
}

/** What is wrong with the draft, as the key of its message, or null. */
function problemOf(draft: Draft, today: string): string | null {
  if (draft.weekdays.length === 0) return 'spots.form.chooseDay';
  if (!isWallTime(draft.from) || !isWallTime(draft.until)) return 'spots.form.chooseTimes';
  if (draft.endsOn && draft.endsOn < today) return 'spots.form.lastDayPast';
  if (draft.endsOn && draft.endsOn > addDays(today, MAX_PATTERN_DAYS)) return 'spots.form.tooLong';
  return null;
}

export function ShareEveryForm({
  spot,
  zone,
  now,
  onDone,
}: {
  spot: Spot;
  zone: string;
  now: number;
  onDone: () => void;
}) {
  const { t } = useTranslation('manage');
  const toast = useToast();
  const create = useRecurringChange();
  const today = localDate(now, zone);
  const [draft, setDraft] = useState<Draft>({
    weekdays: [1, 2, 3, 4, 5],
    from: '08:00',
    until: '18:00',
    everyWeeks: 1,
    endsOn: '',
  });
  const set = (change: Partial<Draft>) => setDraft((d) => ({ ...d, ...change }));
  const problem = problemOf(draft, today);
  const rule: PatternRule = {
    weekdays: draft.weekdays,
    from: draft.from,
    until: draft.until,
    every_weeks: draft.everyWeeks,
    starts_on: today,
    ends_on: draft.endsOn || null,
  };
  const preview = problem ? [] : nextOccurrences(rule, now, zone, PREVIEWED);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (problem) return;
    create
      .run((api) =>
        api.createPattern({
          spot_id: spot.id,
          weekdays: draft.weekdays,
          from: draft.from,
          until: draft.until,
          every_weeks: draft.everyWeeks,
          ends_on: draft.endsOn || undefined,
        }),
      )
      .then(
        (pattern) => {
          toast.success(
            t('spots.form.created', {
              label: spot.label,
              summary: patternSummary(pattern, today),
            }),
          );
          onDone();
        },
        () => {},
      );
  };

  return (
    <form
      onSubmit={submit}
      aria-label={t('spots.form.label', { label: spot.label })}
      className="mt-2 space-y-3 rounded-lg border border-slate-200 p-3 dark:border-slate-700"
    >
      <div>
        <p className="mb-1 text-sm font-medium">{t('spots.form.days')}</p>
        <WeekdayChips
          label={t('spots.form.days')}
          value={draft.weekdays}
          onChange={(weekdays) => set({ weekdays })}
        />
      </div>
      <div className="grid grid-cols-2 gap-3">
        <TextField
          label={t('spots.form.from')}
          type="time"
          required
          step={60}
          value={draft.from}
          onChange={(e) => set({ from: e.target.value })}
        />
        <TextField
          label={t('spots.form.until')}
          type="time"
          required
          step={60}
          value={draft.until}
          onChange={(e) => set({ until: e.target.value })}
          hint={
            isWallTime(draft.from) && draft.until === draft.from
              ? t('spots.form.allDay')
              : isWallTime(draft.until) && draft.until < draft.from
                ? t('spots.form.nextDay')
                : undefined
          }
        />
      </div>
      <div className="grid gap-3 sm:grid-cols-2">
        <SelectField
          label={t('spots.form.repeat')}
          value={draft.everyWeeks}
          onChange={(e) => set({ everyWeeks: Number(e.target.value) })}
        >
          {[1, 2, 3, 4].map((n) => (
            <option key={n} value={n}>
              {t('spots.form.everyWeeks', { count: n })}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('spots.form.lastDay')}
          type="date"
          min={today}
          max={addDays(today, MAX_PATTERN_DAYS)}
          value={draft.endsOn}
          onChange={(e) => set({ endsOn: e.target.value })}
          hint={t('spots.form.zoneDates', { zone })}
        />
      </div>
      <div>
        <p className="mb-1 text-sm font-semibold">{t('spots.form.nextTimes')}</p>
        {problem ? (
          <p className="text-sm text-red-800 dark:text-red-300">{t(problem)}</p>
        ) : (
          <OccurrencePreview occurrences={preview} zone={zone} label={t('spots.form.nextTimes')} />
        )}
      </div>
      <ErrorNotice error={create.error} />
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={Boolean(problem)} pending={create.pending}>
          {t('spots.form.submit')}
        </Button>
        <Button variant="secondary" onClick={onDone}>
          {t('spots.form.cancel')}
        </Button>
      </div>
    </form>
  );
}
