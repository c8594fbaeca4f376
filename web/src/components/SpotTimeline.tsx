// A spot's next days, one row per local day: when it is shared, when it is booked (yours
// or someone's), and now. Days are drawn at their real length, so a 23- or 25-hour
// daylight-saving day keeps its hours where the clock has them.

import { useTranslation } from 'react-i18next';
import type { SpotView } from '../api/types';
import { clip, subtract, type Interval } from '../lib/intervals';
import { toInterval } from '../lib/spots';
import { atLocalTime, formatDay, formatTime, localDayBounds } from '../lib/time';

const TICKS = ['06:00', '12:00', '18:00'];

interface Segment extends Interval {
  kind: 'free' | 'booked' | 'mine';
}

export function daySegments(spot: SpotView, day: Interval): Segment[] {
  const shared = clip(spot.availability.map(toInterval), day);
  const booked = spot.reservations.filter((r) => !r.mine).map(toInterval);
  const mine = spot.reservations.filter((r) => r.mine).map(toInterval);
  return [
    ...subtract(shared, [...booked, ...mine]).map((i) => ({ ...i, kind: 'free' as const })),
    ...clip(booked, day).map((i) => ({ ...i, kind: 'booked' as const })),
    ...clip(mine, day).map((i) => ({ ...i, kind: 'mine' as const })),
  ].sort((a, b) => a.start - b.start);
}

const COLORS: Record<Segment['kind'], string> = {
  free: 'bg-green-600 dark:bg-green-500',
  booked: 'bg-rose-600 dark:bg-rose-400',
  mine: 'bg-blue-700 dark:bg-sky-400',
};
const LEGEND: Record<Segment['kind'], string> = {
  free: 'timeline.legendFree',
  booked: 'timeline.legendBooked',
  mine: 'timeline.legendMine',
};

function endLabel(instant: number, day: Interval, zone: string): string {
  return instant >= day.end ? '24:00' : formatTime(instant, zone);
}

export function SpotTimeline({
  spot,
  days,
  zone,
  now,
}: {
  spot: SpotView;
  days: string[];
  zone: string;
  now: number;
}) {
  const { t } = useTranslation('garage');
  return (
    <div>
      <ul
        className="mb-3 flex flex-wrap gap-4 text-xs text-slate-700 dark:text-slate-300"
        aria-label={t('timeline.legend')}
      >
        {(['free', 'booked', 'mine'] as const).map((kind) => (
          <li key={kind} className="flex items-center gap-1.5">
            <span aria-hidden="true" className={`h-3 w-5 rounded-sm ${COLORS[kind]}`} />
            {t(LEGEND[kind])}
          </li>
        ))}
        <li className="flex items-center gap-1.5">
          <span aria-hidden="true" className="h-3 w-5 rounded-sm bg-slate-200 dark:bg-slate-700" />
          {t('timeline.legendNotShared')}
        </li>
      </ul>
      <ol className="space-y-4">
        {days.map((date) => {
          const [start, end] = localDayBounds(date, zone);
          const day = { start, end };
          const length = end - start;
          const segments = daySegments(spot, day);
          const pos = (t: number) => `${((t - start) / length) * 100}%`;
          const hours = Math.round(length / 3_600_000);
          return (
            <li key={date}>
              <p className="mb-1 flex items-baseline justify-between text-sm font-semibold">
                {formatDay(start, zone)}
                {hours !== 24 && (
                  <span className="text-xs font-normal text-slate-600 dark:text-slate-400">
                    {t('timeline.dayHours', { count: hours })}
                  </span>
                )}
              </p>
              <div
                aria-hidden="true"
                className="relative h-8 overflow-hidden rounded-md bg-slate-200 dark:bg-slate-700"
              >
                {segments.map((s) => (
                  <div
                    key={`${s.kind}${s.start}`}
                    className={`absolute inset-y-0 ${COLORS[s.kind]}`}
                    style={{ left: pos(s.start), width: `${((s.end - s.start) / length) * 100}%` }}
                  />
                ))}
                {TICKS.map((tick) => (
                  <div
                    key={tick}
                    className="absolute inset-y-0 w-px bg-white/70 dark:bg-slate-950/60"
                    style={{ left: pos(atLocalTime(date, tick, zone)) }}
                  />
                ))}
                {now >= start && now < end && (
                  <div
                    className="absolute -inset-y-1 w-0.5 bg-slate-950 dark:bg-white"
                    style={{ left: pos(now) }}
                  />
                )}
              </div>
              <div
                aria-hidden="true"
                className="relative mt-0.5 h-4 text-[11px] text-slate-600 dark:text-slate-400"
              >
                {TICKS.map((tick) => (
                  <span
                    key={tick}
                    className="absolute -translate-x-1/2"
                    style={{ left: pos(atLocalTime(date, tick, zone)) }}
                  >
                    {tick.slice(0, 2)}
                  </span>
                ))}
              </div>
              <p className="text-sm text-slate-700 dark:text-slate-300">
                {segments.length === 0
                  ? t('timeline.notShared')
                  : segments
                      .map((s) =>
                        t(`timeline.${s.kind}`, {
                          from: formatTime(s.start, zone),
                          to: endLabel(s.end, day, zone),
                        }),
                      )
                      .join(' · ')}
              </p>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
