// The next occurrences of a pattern as the building's clock shows them, a day on which the
// clocks change marked (an hour shorter or longer, where people get caught out).

import { useTranslation } from 'react-i18next';
import type { ClockChange, Occurrence } from '../../lib/recurring';
import { formatRange } from '../../lib/time';

export function ClockChangeBadge({ change }: { change: ClockChange }) {
  const { t } = useTranslation('manage');
  return (
    <span
      title={change === 'forward' ? t('spots.clock.forward') : t('spots.clock.back')}
      className="ml-2 inline-flex items-center rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-950 ring-1 ring-inset ring-amber-700/30 dark:bg-amber-950 dark:text-amber-100 dark:ring-amber-400/40"
    >
      {t('spots.clock.badge')}
      <span className="sr-only">
        {change === 'forward' ? t('spots.clock.srForward') : t('spots.clock.srBack')}
      </span>
    </span>
  );
}

export function OccurrencePreview({
  occurrences,
  zone,
  label,
}: {
  occurrences: readonly Occurrence[];
  zone: string;
  label: string;
}) {
  const { t } = useTranslation('manage');
  if (occurrences.length === 0) {
    return <p className="text-sm text-slate-600 dark:text-slate-400">{t('spots.noOccurrence')}</p>;
  }
  return (
    <ol aria-label={label} className="space-y-1 text-sm">
      {occurrences.map((o) => (
        <li key={o.date} data-testid="occurrence" data-date={o.date}>
          {formatRange(o.start, o.end, zone)}
          {o.clockChange && <ClockChangeBadge change={o.clockChange} />}
        </li>
      ))}
    </ol>
  );
}
