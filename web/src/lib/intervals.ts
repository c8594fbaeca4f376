// Half-open intervals [start, end) of instants, as availability and reservations are.

export interface Interval {
  start: number;
  end: number;
}

export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

export function covers(outer: Interval, inner: Interval): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}

/** Sorted, with overlapping or touching intervals joined (as the server keeps windows). */
export function merge(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const next of sorted) {
    const last = out[out.length - 1];
    if (last && next.start <= last.end) last.end = Math.max(last.end, next.end);
    else out.push({ ...next });
  }
  return out;
}

/** `from` less every part covered by `minus`. */
export function subtract(from: readonly Interval[], minus: readonly Interval[]): Interval[] {
  let pieces = merge(from);
  for (const cut of merge(minus)) {
    pieces = pieces.flatMap((piece) => {
      if (!overlaps(piece, cut)) return [piece];
      const left = { start: piece.start, end: Math.min(piece.end, cut.start) };
      const right = { start: Math.max(piece.start, cut.end), end: piece.end };
      return [left, right].filter((i) => i.end > i.start);
    });
  }
  return pieces;
}

/** Each interval cut to `window` (those outside it dropped). */
export function clip(intervals: readonly Interval[], window: Interval): Interval[] {
  return intervals
    .map((i) => ({ start: Math.max(i.start, window.start), end: Math.min(i.end, window.end) }))
    .filter((i) => i.end > i.start);
}

/** When a spot can still be booked: shared and not yet reserved. */
export function freeIntervals(
  availability: readonly Interval[],
  reservations: readonly Interval[],
): Interval[] {
  return subtract(availability, reservations);
}

export function totalLength(intervals: readonly Interval[]): number {
  return merge(intervals).reduce((sum, i) => sum + (i.end - i.start), 0);
}
