import { useState, type FormEvent } from 'react';
import type { Me, Policy } from '../../api/types';
import { useServices } from '../../app/services';
import { useToast } from '../../components/Toasts';
import { Button, Card, ErrorNotice, SectionTitle, TextField } from '../../components/ui';
import { keys } from '../../data/keys';
import { useAction } from '../../hooks/useAction';

const FIELDS: { key: keyof Policy; label: string; hint: string; min: number; max: number }[] = [
  {
    key: 'cost',
    label: 'Cost of a booking (credits)',
    hint: 'Moves from the parker to the owner when the stay ends.',
    min: 0,
    max: 1_000_000,
  },
  {
    key: 'starting_credits',
    label: 'Starting credits',
    hint: 'What each new resident receives.',
    min: 0,
    max: 1_000_000,
  },
  {
    key: 'max_hours',
    label: 'Longest booking (hours)',
    hint: 'Elapsed hours: a 25-hour autumn day counts 25.',
    min: 1,
    max: 744,
  },
  {
    key: 'horizon_days',
    label: 'How far ahead (days)',
    hint: 'Bookings may start up to this many local days from now.',
    min: 1,
    max: 400,
  },
  {
    key: 'checkin_grace_minutes',
    label: 'Check-in grace (minutes)',
    hint: 'Parkers check in from 15 minutes before the start until this long after; 0 turns check-in off.',
    min: 0,
    max: 120,
  },
  {
    key: 'no_show_owner_share',
    label: 'No-show share for the owner (credits)',
    hint: 'What the owner keeps when nobody checks in; the rest goes back to the parker. At most the cost.',
    min: 0,
    max: 1_000_000,
  },
];

export function PolicyPanel({ me }: { me: Me }) {
  const { api, cache } = useServices();
  const toast = useToast();
  const current = me.building.policy;
  const [values, setValues] = useState<Record<keyof Policy, string>>({
    cost: String(current.cost),
    starting_credits: String(current.starting_credits),
    max_hours: String(current.max_hours),
    horizon_days: String(current.horizon_days),
    checkin_grace_minutes: String(current.checkin_grace_minutes),
    no_show_owner_share: String(current.no_show_owner_share),
  });
  const parsed = Object.fromEntries(FIELDS.map((f) => [f.key, Number(values[f.key])])) as Record<
    keyof Policy,
    number
  >;
  const invalid = FIELDS.filter(
    (f) => !Number.isInteger(parsed[f.key]) || parsed[f.key] < f.min || parsed[f.key] > f.max,
  ).map((f) => f.key);
  // The database refuses a share above the cost; say so before sending.
  if (parsed.no_show_owner_share > parsed.cost && !invalid.includes('no_show_owner_share')) {
    invalid.push('no_show_owner_share');
  }
  const changes: Partial<Policy> = Object.fromEntries(
    FIELDS.filter((f) => parsed[f.key] !== current[f.key]).map((f) => [f.key, parsed[f.key]]),
  );
  const save = useAction(async () => {
    const policy = await api.setPolicy(changes);
    cache.patch<Me>(
      (k) => k === keys.me,
      (m) => ({ ...m, building: { ...m.building, policy } }),
    );
    cache.invalidatePrefix(keys.me);
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.run().then(
      () => toast.success('Policy saved. It applies to new bookings; existing ones keep theirs.'),
      () => {},
    );
  };
  return (
    <Card>
      <SectionTitle>Policy</SectionTitle>
      <p className="mb-4 text-sm text-slate-700 dark:text-slate-300">
        Changes apply to bookings made from now on.
      </p>
      <form onSubmit={submit} className="grid gap-4 sm:grid-cols-2">
        {FIELDS.map((f) => (
          <TextField
            key={f.key}
            label={f.label}
            type="number"
            inputMode="numeric"
            min={f.min}
            max={f.max}
            step={1}
            value={values[f.key]}
            onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.value }))}
            aria-invalid={invalid.includes(f.key) || undefined}
            hint={f.hint}
          />
        ))}
        <div className="sm:col-span-2">
          <ErrorNotice error={save.error} />
        </div>
        <div className="sm:col-span-2">
          <Button
            type="submit"
            pending={save.pending}
            disabled={invalid.length > 0 || Object.keys(changes).length === 0}
          >
            Save policy
          </Button>
        </div>
      </form>
    </Card>
  );
}
