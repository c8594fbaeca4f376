// A spot's weekly sharing on "My spots": its patterns with Time off and Stop, and
// "Share every…" to add one.

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Pattern, Spot, SpotView } from '../../api/types';
import { Button } from '../../components/ui';
import type { Interval } from '../../lib/intervals';
import { nextOccurrences, patternSummary } from '../../lib/recurring';
import { toInterval } from '../../lib/spots';
import { formatRange, localDate } from '../../lib/time';
import { ClockChangeBadge } from './OccurrencePreview';
import { ShareEveryForm } from './ShareEveryForm';
import { StopPatternDialog } from './StopPatternDialog';
import { TimeOffDialog } from './TimeOffDialog';

type Open = { kind: 'time-off' | 'stop'; pattern: Pattern } | null;

export function RecurringSharing({
  spot,
  view,
  patterns,
  zone,
  now,
}: {
  spot: Spot;
  view: SpotView | undefined;
  patterns: readonly Pattern[];
  zone: string;
  now: number;
}) {
  const { t } = useTranslation('manage');
  const [adding, setAdding] = useState(false);
  const [open, setOpen] = useState<Open>(null);
  const bookings: Interval[] = (view?.reservations ?? []).map(toInterval);
  const active = patterns.filter((p) => p.status === 'active');
  const close = () => setOpen(null);
  return (
    <div className="mt-4">
      {active.length > 0 && (
        <>
          <h3 className="mb-2 text-sm font-semibold">{t('spots.everyWeek')}</h3>
          <ul className="mb-2 space-y-2">
            {active.map((pattern) => (
              <PatternRow
                key={pattern.id}
                pattern={pattern}
                zone={zone}
                now={now}
                onTimeOff={() => setOpen({ kind: 'time-off', pattern })}
                onStop={() => setOpen({ kind: 'stop', pattern })}
              />
            ))}
          </ul>
        </>
      )}
      <Button variant="ghost" size="sm" aria-expanded={adding} onClick={() => setAdding((v) => !v)}>
        {t('spots.shareEvery')}
      </Button>
      {adding && (
        <ShareEveryForm spot={spot} zone={zone} now={now} onDone={() => setAdding(false)} />
      )}
      {open?.kind === 'time-off' && (
        <TimeOffDialog
          pattern={open.pattern}
          spot={spot}
          bookings={bookings}
          zone={zone}
          now={now}
          onClose={close}
        />
      )}
      {open?.kind === 'stop' && (
        <StopPatternDialog
          pattern={open.pattern}
          spot={spot}
          bookings={bookings}
          zone={zone}
          now={now}
          onClose={close}
        />
      )}
    </div>
  );
}

function PatternRow({
  pattern,
  zone,
  now,
  onTimeOff,
  onStop,
}: {
  pattern: Pattern;
  zone: string;
  now: number;
  onTimeOff: () => void;
  onStop: () => void;
}) {
  const { t } = useTranslation('manage');
  const today = localDate(now, zone);
  const summary = patternSummary(pattern, today);
  const next = nextOccurrences(pattern, now, zone, 1)[0];
  const timeOff = pattern.paused.filter((p) => p.end_date >= today);
  return (
    <li
      data-testid="pattern"
      className="flex flex-wrap items-center gap-2 rounded-lg border border-slate-200 px-3 py-2 dark:border-slate-700"
    >
      <div className="min-w-0 flex-1 text-sm">
        <p className="font-medium">{summary}</p>
        {next && (
          <p className="text-slate-600 dark:text-slate-400">
            {t('spots.next', { range: formatRange(next.start, next.end, zone) })}
            {next.clockChange && <ClockChangeBadge change={next.clockChange} />}
          </p>
        )}
        {timeOff.length > 0 && (
          <p className="text-slate-600 dark:text-slate-400">
            {t('spots.timeOffList', {
              days: timeOff
                .map((p) =>
                  p.start_date === p.end_date
                    ? p.start_date
                    : t('spots.dayRange', { first: p.start_date, last: p.end_date }),
                )
                .join('; '),
            })}
          </p>
        )}
      </div>
      <div className="flex gap-2">
        <Button
          variant="secondary"
          size="sm"
          onClick={onTimeOff}
          aria-label={t('spots.timeOffFor', { summary })}
        >
          {t('spots.timeOff')}
        </Button>
        <Button
          variant="secondary"
          size="sm"
          onClick={onStop}
          aria-label={t('spots.stopFor', { summary })}
        >
          {t('spots.stop')}
        </Button>
      </div>
    </li>
  );
}
