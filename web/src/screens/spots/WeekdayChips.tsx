// The seven days as toggle buttons (aria-pressed), Monday first as ISO weeks are.

import { useTranslation } from 'react-i18next';
import { weekdayNames } from '../../lib/recurring';

export function WeekdayChips({
  value,
  onChange,
  label,
}: {
  value: readonly number[];
  onChange: (days: number[]) => void;
  label: string;
}) {
  // The names in the language shown (and again when it changes).
  const { i18n } = useTranslation('manage');
  const toggle = (iso: number) =>
    onChange(
      value.includes(iso) ? value.filter((d) => d !== iso) : [...value, iso].sort((a, b) => a - b),
    );
  return (
    <div role="group" aria-label={label} className="flex flex-wrap gap-1.5">
      {weekdayNames(i18n.language).map((day) => {
        const on = value.includes(day.iso);
        return (
          <button
            key={day.iso}
            type="button"
            aria-pressed={on}
            // The short name is the button's name (what people see is what they say); the
            // long one its description.
            title={day.long}
            onClick={() => toggle(day.iso)}
            className={`min-h-9 min-w-11 rounded-full border px-2.5 text-sm font-semibold transition-colors ${
              on
                ? 'border-blue-700 bg-blue-700 text-white dark:border-sky-400 dark:bg-sky-400 dark:text-slate-950'
                : 'border-slate-400 bg-white text-slate-900 hover:bg-slate-100 dark:border-slate-500 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800'
            }`}
          >
            {day.short}
          </button>
        );
      })}
    </div>
  );
}
