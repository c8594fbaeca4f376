import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Me, Policy } from '../../api/types';
import { useServices } from '../../app/services';
import { useToast } from '../../components/Toasts';
import { Button, Card, ErrorNotice, SectionTitle, TextField } from '../../components/ui';
import { keys } from '../../data/keys';
import { useAction } from '../../hooks/useAction';

// Each field's label and hint are `policy.fields.<key>.label` and `.hint` (admin namespace).
const FIELDS: { key: keyof Policy; min: number; max: number }[] = [
  {
    key: 'cost',
    min: 0,
    max: 1_000_000,
  },
  {
    key: 'starting_credits',
    min: 0,
    max: 1_000_000,
  },
  {
    key: 'max_hours',
    min: 1,
    max: 744,
  },
  {
    key: 'horizon_days',
    min: 1,
    max: 400,
  },
  {
    key: 'checkin_grace_minutes',
    min: 0,
    max: 120,
  },
  {
    key: 'no_show_owner_share',
    min: 0,
    max: 1_000_000,
  },
];

export function PolicyPanel({ me }: { me: Me }) {
  const { t } = useTranslation('admin');
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
      () => toast.success(t('policy.saved')),
      () => {},
    );
  };
  return (
    <Card>
      <SectionTitle>{t('policy.title')}</SectionTitle>
      <p className="mb-4 text-sm text-slate-700 dark:text-slate-300">{t('policy.intro')}</p>
      <form onSubmit={submit} className="grid gap-4 sm:grid-cols-2">
        {FIELDS.map((f) => (
          <TextField
            key={f.key}
            label={t(`policy.fields.${f.key}.label`)}
            type="number"
            inputMode="numeric"
            min={f.min}
            max={f.max}
            step={1}
            value={values[f.key]}
            onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.value }))}
            aria-invalid={invalid.includes(f.key) || undefined}
            hint={t(`policy.fields.${f.key}.hint`)}
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
            {t('policy.save')}
          </Button>
        </div>
      </form>
    </Card>
  );
}
