// Booked against shared hours, per local day and per spot, drawn with plain elements: each
// row says its numbers in words too, so the bars are decoration.

import type { TFunction } from 'i18next';
import { Trans, useTranslation } from 'react-i18next';
import type { Utilization } from '../api/types';
import { formatDay } from '../lib/time';

// Hours to a tenth at most, percentages whole, in the app's language ("2.5 h", "2,5 h").
const hours = (t: TFunction, language: string, h: number) =>
  t('usage.hours', {
    hours: new Intl.NumberFormat(language, { maximumFractionDigits: 1 }).format(h),
  });
const share = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 100) : 0);
const percent = (t: TFunction, language: string, part: number, whole: number) =>
  t('usage.percent', { percent: new Intl.NumberFormat(language).format(share(part, whole)) });

function dayLabel(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  // A calendar date, not an instant: format it in UTC so no zone moves it to another day.
  return formatDay(Date.UTC(y, m - 1, d), 'UTC');
}

function Row({
  name,
  isData = false,
  available,
  booked,
  max,
}: {
  name: string;
  /** The name is the building's own (a spot's label): not for page translators. */
  isData?: boolean;
  available: number;
  booked: number;
  max: number;
}) {
  const { t, i18n } = useTranslation('admin');
  const language = i18n.language;
  const scale = max > 0 ? 100 / max : 0;
  return (
    <li className="grid grid-cols-[6.5rem_1fr] items-center gap-3 text-sm sm:grid-cols-[8rem_1fr_11rem]">
      <span translate={isData ? 'no' : undefined} className="truncate font-medium">
        {name}
      </span>
      <span
        aria-hidden="true"
        className="relative h-5 overflow-hidden rounded bg-slate-100 dark:bg-slate-800"
      >
        <span
          className="absolute inset-y-0 left-0 rounded bg-green-200 dark:bg-green-900"
          style={{ width: `${available * scale}%` }}
        />
        <span
          className="absolute inset-y-0 left-0 rounded bg-blue-700 dark:bg-sky-400"
          style={{ width: `${booked * scale}%` }}
        />
      </span>
      <span className="col-span-2 text-slate-700 sm:col-span-1 dark:text-slate-300">
        {t('usage.row', {
          booked: hours(t, language, booked),
          available: hours(t, language, available),
          percent: percent(t, language, booked, available),
        })}
      </span>
    </li>
  );
}

export function UtilizationChart({ data }: { data: Utilization }) {
  const { t, i18n } = useTranslation('admin');
  const language = i18n.language;
  const available = data.days.reduce((s, d) => s + d.available_hours, 0);
  const booked = data.days.reduce((s, d) => s + d.booked_hours, 0);
  const dayMax = Math.max(0, ...data.days.map((d) => d.available_hours));
  const spotMax = Math.max(0, ...data.spots.map((s) => s.available_hours));
  const spots = [...data.spots].sort(
    (a, b) => b.booked_hours - a.booked_hours || a.label.localeCompare(b.label),
  );
  return (
    <div className="space-y-6">
      <p className="text-sm">
        <Trans
          t={t}
          i18nKey="usage.summary"
          values={{
            percent: percent(t, language, booked, available),
            booked: hours(t, language, booked),
            available: hours(t, language, available),
            zone: data.timezone,
          }}
          components={{ big: <span className="text-2xl font-bold" /> }}
        />
      </p>
      <div className="flex gap-4 text-xs text-slate-700 dark:text-slate-300" aria-hidden="true">
        <span className="flex items-center gap-1.5">
          <span className="h-3 w-5 rounded-sm bg-green-200 dark:bg-green-900" /> {t('usage.shared')}
        </span>
        <span className="flex items-center gap-1.5">
          <span className="h-3 w-5 rounded-sm bg-blue-700 dark:bg-sky-400" /> {t('usage.booked')}
        </span>
      </div>
      <section aria-labelledby="usage-days">
        <h3 id="usage-days" className="mb-2 font-semibold">
          {t('usage.perDay')}
        </h3>
        {data.days.length === 0 ? (
          <p className="text-sm">{t('usage.noDays')}</p>
        ) : (
          <ul className="space-y-2">
            {data.days.map((d) => (
              <Row
                key={d.date}
                name={dayLabel(d.date)}
                available={d.available_hours}
                booked={d.booked_hours}
                max={dayMax}
              />
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="usage-spots">
        <h3 id="usage-spots" className="mb-2 font-semibold">
          {t('usage.perSpot')}
        </h3>
        {spots.length === 0 ? (
          <p className="text-sm">{t('usage.noSpots')}</p>
        ) : (
          <ul className="space-y-2">
            {spots.map((s) => (
              <Row
                key={s.spot_id}
                name={s.label}
                isData
                available={s.available_hours}
                booked={s.booked_hours}
                max={spotMax}
              />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
