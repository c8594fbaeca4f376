// A change to one of the caller's patterns, then what it outdates: the patterns, the
// garage's summaries, every list-spots answer (their windows) and, when bookings were
// cancelled, the caller's own data.

import type { Api } from '../../api/client';
import type { Pattern, Spot } from '../../api/types';
import { useServices } from '../../app/services';
import { keys } from '../../data/keys';
import { useAction } from '../../hooks/useAction';
import type { Interval } from '../../lib/intervals';

/** What the time-off and stop dialogs are opened with: one pattern of one of the caller's
 * spots, the bookings known on it, the building's zone and the moment they opened. */
export interface PatternDialogProps {
  pattern: Pattern;
  spot: Spot;
  bookings: readonly Interval[];
  zone: string;
  now: number;
  onClose: () => void;
}

export function useRecurringChange() {
  const { api, cache } = useServices();
  return useAction(async (change: (api: Api) => Promise<Pattern>, cancelsBookings = false) => {
    const pattern = await change(api);
    cache.invalidatePrefix(keys.patterns, keys.recurringSummaries, 'spots:');
    if (cancelsBookings) cache.invalidatePrefix(keys.me);
    return pattern;
  });
}
