import { useState, type FormEvent } from 'react';
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

export function CreditsPanel({ me }: { me: Me }) {
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
  const name = residents.data?.find((r) => r.id === userId)?.display_name ?? 'the resident';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    adjust.run().then(
      (signed) => {
        toast.success(
          `${signed > 0 ? 'Granted' : 'Deducted'} ${Math.abs(signed)} credits ${signed > 0 ? 'to' : 'from'} ${name}.`,
        );
        setReason('');
      },
      () => {},
    );
  };
  return (
    <div className="space-y-6">
      <Card>
        <SectionTitle>Grant or deduct credits</SectionTitle>
        {residents.error !== undefined && residents.error !== null && (
          <ErrorNotice error={residents.error} onRetry={residents.refetch} />
        )}
        <form onSubmit={submit} className="grid gap-3 sm:grid-cols-2">
          <SelectField
            label="Resident"
            value={userId}
            onChange={(e) => setUserId(e.target.value)}
            required
          >
            <option value="">Choose…</option>
            {residents.data?.map((r) => (
              <option key={r.id} value={r.id}>
                {r.display_name} ({r.credits} credits)
              </option>
            ))}
          </SelectField>
          <fieldset className="flex items-end gap-4">
            <legend className="sr-only">Grant or deduct</legend>
            {(['grant', 'deduct'] as const).map((d) => (
              <label key={d} className="flex min-h-11 items-center gap-2 text-sm font-medium">
                <input
                  type="radio"
                  name="direction"
                  className="h-5 w-5 accent-blue-700 dark:accent-sky-400"
                  checked={direction === d}
                  onChange={() => setDirection(d)}
                />
                {d === 'grant' ? 'Grant' : 'Deduct'}
              </label>
            ))}
          </fieldset>
          <TextField
            label="Amount"
            type="number"
            min={1}
            max={1_000_000}
            step={1}
            inputMode="numeric"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
          <TextField
            label="Reason"
            required
            maxLength={500}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            hint="Kept in the ledger and the audit log."
          />
          <div className="sm:col-span-2">
            <ErrorNotice
              error={adjust.error}
              overrides={{
                insufficient_credits: `${name} doesn’t have that many credits to deduct.`,
              }}
            />
          </div>
          <div className="sm:col-span-2">
            <Button type="submit" pending={adjust.pending} disabled={!valid}>
              {direction === 'grant' ? 'Grant credits' : 'Deduct credits'}
            </Button>
          </div>
        </form>
      </Card>
      <BuildingLedger userId={userId} zone={me.building.timezone} />
    </div>
  );
}

function party(side: { account: string; user: { display_name: string } | null }): string {
  if (side.user) return side.user.display_name;
  return side.account === 'escrow'
    ? 'held bookings'
    : side.account === 'issuance'
      ? 'the building'
      : side.account;
}

function BuildingLedger({ userId, zone }: { userId: string; zone: string }) {
  const { api } = useServices();
  const ledger = useQuery(
    keys.adminLedger(userId || 'all'),
    async () => (await api.adminLedger({ user_id: userId || undefined, limit: 50 })).entries,
    { onMount: 'refetch' },
  );
  return (
    <Card>
      <SectionTitle>Recent credit movements{userId ? ' of this resident' : ''}</SectionTitle>
      {ledger.error !== undefined && ledger.error !== null && (
        <ErrorNotice error={ledger.error} onRetry={ledger.refetch} />
      )}
      {!ledger.data && !ledger.error && <Loading />}
      <ul className="divide-y divide-slate-200 dark:divide-slate-800">
        {ledger.data?.map((e) => (
          <li key={e.id} className="flex items-center justify-between gap-3 py-2 text-sm">
            <span>
              <span className="font-medium">
                {party(e.from)} → {party(e.to)}
              </span>
              <span className="block text-slate-600 dark:text-slate-400">
                {e.kind}
                {e.reason ? `: ${e.reason}` : ''} · {formatDateTime(parseInstant(e.at), zone)}
                {e.created_by ? ` · by ${e.created_by.display_name}` : ''}
              </span>
            </span>
            <span className="font-semibold tabular-nums">{e.amount}</span>
          </li>
        ))}
      </ul>
    </Card>
  );
}
