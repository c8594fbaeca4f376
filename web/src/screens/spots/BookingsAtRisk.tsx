// The bookings a change would cancel, as the owner's screen knows them (the server decides,
// and says has_reservations when it finds some).

import { useTranslation } from 'react-i18next';
import type { Interval } from '../../lib/intervals';
import { formatRange } from '../../lib/time';

export function BookingsAtRisk({
  bookings,
  zone,
  none,
}: {
  bookings: readonly Interval[];
  zone: string;
  none: string;
}) {
  const { t } = useTranslation('manage');
  if (bookings.length === 0) {
    return <p className="text-sm text-slate-600 dark:text-slate-400">{none}</p>;
  }
  return (
    <div className="text-sm">
      <p className="font-semibold">{t('spots.atRisk', { count: bookings.length })}</p>
      <ul className="mt-1 list-disc pl-5" data-testid="bookings-at-risk">
        {bookings.map((b) => (
          <li key={`${b.start}-${b.end}`}>{formatRange(b.start, b.end, zone)}</li>
        ))}
      </ul>
    </div>
  );
}
