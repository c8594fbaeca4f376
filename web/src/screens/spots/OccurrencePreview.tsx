// The next occurrences of a pattern as the building's clock shows them, a day on which the
// clocks change marked (an hour shorter or longer, where people get caught out).

import type { ClockChange, Occurrence } from '../../lib/recurring';
import { formatRange } from '../../lib/time';

const CHANGE_TITLE: Record<ClockChange, string> = {
  forward: 'The clocks go forward an hour on this day',
  back: 'The clocks go back an hour on this day',
};

export function ClockChangeBadge({ change }: { change: ClockChange }) {
  return (
    <span
      title={CHANGE_TITLE[change]}
      className="ml-2 inline-flex items-center rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-950 ring-1 ring-inset ring-amber-700/30 dark:bg-amber-950 dark:text-amber-100 dark:ring-amber-400/40"
    >
      clock change<span className="sr-only">: {CHANGE_TITLE[change].toLowerCase()}</span>
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
  if (occurrences.length === 0) {
    return <p className="text-sm text-slate-600 dark:text-slate-400">No occurrence ahead.</p>;
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
