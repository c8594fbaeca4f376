// A change to one of the caller's patterns, then what it outdates: the patterns, the
// garage's summaries, every list-spots answer (their windows) and, when bookings were
// cancelled, the caller's own data.

import type { Api } from '../../api/client';
import type { Pattern } from '../../api/types';
import { useServices } from '../../app/services';
import { keys } from '../../data/keys';
import { useAction } from '../../hooks/useAction';

export function useRecurringChange() {
  const { api, cache } = useServices();
  return useAction(async (change: (api: Api) => Promise<Pattern>, cancelsBookings = false) => {
    const pattern = await change(api);
    cache.invalidatePrefix(keys.patterns, keys.recurringSummaries, 'spots:');
    if (cancelsBookings) cache.invalidatePrefix(keys.me);
    return pattern;
  });
}
