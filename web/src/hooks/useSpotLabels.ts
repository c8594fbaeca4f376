import type { Me } from '../api/types';
import { nextDayKey, nextDayWindow, useSpots } from './data';

/** Spot id → label, for screens that only hold ids (reservations carry spot_id). */
export function useSpotLabels(me: Me): Map<string, string> {
  // The garage's own default list: every spot is in it, and it is often cached already.
  const spots = useSpots(nextDayKey(false), () => nextDayWindow(false));
  const labels = new Map<string, string>();
  for (const spot of me.spots) labels.set(spot.id, spot.label);
  for (const spot of spots.data ?? []) labels.set(spot.id, spot.label);
  return labels;
}
