// Two datetime-local fields in the building's zone, with one-tap choices above them.

import type { Choice } from '../lib/windows';
import { TextField } from './ui';

export interface WindowText {
  start: string;
  end: string;
}

export function ChoiceChips({
  choices,
  onPick,
  label,
}: {
  choices: Choice[];
  onPick: (choice: Choice) => void;
  label: string;
}) {
  return (
    <div role="group" aria-label={label} className="flex flex-wrap gap-2">
      {choices.map((choice) => (
        <button
          key={choice.label}
          type="button"
          onClick={() => onPick(choice)}
          className="rounded-full border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 dark:border-slate-600 dark:hover:bg-slate-800"
        >
          {choice.label}
        </button>
      ))}
    </div>
  );
}

export function WindowInputs({
  value,
  onChange,
  labels,
  zoneNote,
  min,
  invalid = false,
}: {
  value: WindowText;
  onChange: (next: WindowText, changed: 'start' | 'end') => void;
  labels: [string, string];
  zoneNote: string;
  min?: string;
  invalid?: boolean;
}) {
  return (
    <div className="grid gap-3 sm:grid-cols-2">
      <TextField
        label={labels[0]}
        type="datetime-local"
        required
        value={value.start}
        min={min}
        step={60}
        onChange={(e) => onChange({ ...value, start: e.target.value }, 'start')}
        hint={zoneNote}
      />
      <TextField
        label={labels[1]}
        type="datetime-local"
        required
        value={value.end}
        min={value.start || min}
        step={60}
        aria-invalid={invalid || undefined}
        onChange={(e) => onChange({ ...value, end: e.target.value }, 'end')}
        hint={zoneNote}
      />
    </div>
  );
}
