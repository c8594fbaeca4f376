import i18next from 'i18next';
import { useState, type FormEvent } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import type { Me } from '../../api/types';
import { useServices } from '../../app/services';
import { useToast } from '../../components/Toasts';
import {
  Button,
  Card,
  ErrorNotice,
  Loading,
  SectionTitle,
  SelectField,
  TextField,
} from '../../components/ui';
import { keys } from '../../data/keys';
import { useAction } from '../../hooks/useAction';
import { useQuery } from '../../hooks/useQuery';
import { formatDateTime, parseInstant } from '../../lib/time';
import { useResidents } from './ResidentsPanel';

const DATA = { data: <span translate="no" /> };

export function CreditsPanel({ me }: { me: Me }) {
  const { t } = useTranslation('admin');
  const { api, cache } = useServices();
  const toast = useToast();
  const residents = useResidents();
  const [userId, setUserId] = useState('');
  const [direction, setDirection] = useState<'grant' | 'deduct'>('grant');
  const [amount, setAmount] = useState('5');
  const [reason, setReason] = useState('');
  const value = Number(amount);
  const valid =
    Number.isInteger(value) &&
    value > 0 &&
    value <= 1_000_000 &&
    reason.trim() !== '' &&
    userId !== '';
  const adjust = useAction(async () => {
    const signed = direction === 'grant' ? value : -value;
    await api.adjustCredits({ user_id: userId, amount: signed, reason: reason.trim() });
    cache.invalidatePrefix(keys.residents, 'admin:ledger', keys.me);
    return signed;
  });
  const name =
    residents.data?.find((r) => r.id === userId)?.display_name ?? t('credits.theResident');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    adjust.run().then(
      (signed) => {
        toast.success(
          t(signed > 0 ? 'credits.granted' : 'credits.deducted', {
            count: Math.abs(signed),
            name,
          }),
        );
        setReason('');
      },
      () => {},
    );
  };
  return (
    <div className="space-y-6">
      <Card>
        <SectionTitle>{t('credits.title')}</SectionTitle>
        {residents.error !== undefined && residents.error !== null && (
          <ErrorNotice error={residents.error} onRetry={residents.refetch} />
        )}
        <form onSubmit={submit} className="grid gap-3 sm:grid-cols-2">
          <SelectField
            label={t('credits.resident')}
            value={userId}
            onChange={(e) => setUserId(e.target.value)}
            required
          >
            <option value="">{t('credits.choose')}</option>
            {residents.data?.map((r) => (
              <option key={r.id} value={r.id}>
                {t('credits.option', { name: r.display_name, count: r.credits })}
              </option>
            ))}
          </SelectField>
          <fieldset className="flex items-end gap-4">
            <legend className="sr-only">{t('credits.direction')}</legend>
            {(['grant', 'deduct'] as const).map((d) => (
              <label key={d} className="flex min-h-11 items-center gap-2 text-sm font-medium">
                <input
                  type="radio"
                  name="direction"
                  className="h-5 w-5 accent-blue-700 dark:accent-sky-400"
                  checked={direction === d}
                  onChange={() => setDirection(d)}
                />
                {t(d === 'grant' ? 'credits.grant' : 'credits.deduct')}
              </label>
            ))}
          </fieldset>
          <TextField
            label={t('credits.amount')}
            type="number"
            min={1}
            max={1_000_000}
            step={1}
            inputMode="numeric"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
          <TextField
            label={t('credits.reason')}
            required
            maxLength={500}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            hint={t('credits.reasonHint')}
          />
          <div className="sm:col-span-2">
            <ErrorNotice
              error={adjust.error}
              overrides={{
                insufficient_credits: t('credits.insufficient', { name }),
              }}
            />
          </div>
          <div className="sm:col-span-2">
            <Button type="submit" pending={adjust.pending} disabled={!valid}>
              {t(direction === 'grant' ? 'credits.grantButton' : 'credits.deductButton')}
            </Button>
          </div>
        </form>
      </Card>
      <BuildingLedger userId={userId} zone={me.building.timezone} />
    </div>
  );
}

function Party({ side }: { side: { account: string; user: { display_name: string } | null } }) {
  const { t } = useTranslation('admin');
  if (side.user) return <span translate="no">{side.user.display_name}</span>;
  if (side.account === 'escrow' || side.account === 'issuance') {
    return <>{t(`credits.ledger.${side.account}`)}</>;
  }
  return <>{side.account}</>;
}

/** A ledger entry's kind in words; a kind the catalogue does not know yet as its code. */
function kindLabel(kind: string): string {
  const key = `admin:credits.ledger.kinds.${kind}`;
  return /^[a-z_]+$/.test(kind) && i18next.exists(key) ? i18next.t(key) : kind;
}

function BuildingLedger({ userId, zone }: { userId: string; zone: string }) {
  const { t } = useTranslation('admin');
  const { api } = useServices();
  const ledger = useQuery(
    keys.adminLedger(userId || 'all'),
    async () => (await api.adminLedger({ user_id: userId || undefined, limit: 50 })).entries,
    { onMount: 'refetch' },
  );
  return (
    <Card>
      <SectionTitle>
        {t(userId ? 'credits.ledger.titleOfResident' : 'credits.ledger.title')}
      </SectionTitle>
      {ledger.error !== undefined && ledger.error !== null && (
        <ErrorNotice error={ledger.error} onRetry={ledger.refetch} />
      )}
      {!ledger.data && !ledger.error && <Loading />}
      <ul className="divide-y divide-slate-200 dark:divide-slate-800">
        {ledger.data?.map((e) => (
          <li key={e.id} className="flex items-center justify-between gap-3 py-2 text-sm">
            <span>
              <span className="font-medium">
                <Party side={e.from} /> → <Party side={e.to} />
              </span>
              <span className="block text-slate-600 dark:text-slate-400">
                {e.reason ? (
                  <Trans
                    t={t}
                    i18nKey="credits.ledger.kindReason"
                    values={{ kind: kindLabel(e.kind), reason: e.reason }}
                    components={DATA}
                  />
                ) : (
                  kindLabel(e.kind)
                )}{' '}
                · {formatDateTime(parseInstant(e.at), zone)}
                {e.created_by && (
                  <>
                    {' · '}
                    <Trans
                      t={t}
                      i18nKey="by"
                      values={{ name: e.created_by.display_name }}
                      components={DATA}
                    />
                  </>
                )}
              </span>
            </span>
            <span className="font-semibold tabular-nums">{e.amount}</span>
          </li>
        ))}
      </ul>
    </Card>
  );
}
