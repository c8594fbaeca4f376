import i18next from 'i18next';
import { useTranslation } from 'react-i18next';
import type { LedgerEntry } from '../api/types';
import { formatDateTime, parseInstant } from '../lib/time';

// The kinds of movement the catalogue names (garage:ledger.*); another shows as it comes.
const KINDS = new Set(['grant', 'hold', 'refund', 'payout', 'adjustment']);

/** A movement in the current language; the reason is the admin's own words, shown as given. */
export function describeEntry(entry: { kind: string; reason: string | null }): string {
  if (entry.kind === 'grant' && entry.reason === 'starting credits')
    return i18next.t('garage:ledger.startingCredits');
  const base = KINDS.has(entry.kind) ? i18next.t(`garage:ledger.${entry.kind}`) : entry.kind;
  return entry.reason
    ? i18next.t('garage:ledger.withReason', { what: base, reason: entry.reason })
    : base;
}

export function Amount({ value }: { value: number }) {
  const positive = value > 0;
  return (
    <span
      className={`font-semibold tabular-nums ${positive ? 'text-green-800 dark:text-green-300' : 'text-slate-900 dark:text-slate-100'}`}
    >
      {positive ? '+' : value < 0 ? '−' : ''}
      {Math.abs(value)}
    </span>
  );
}

export function LedgerList({ entries, zone }: { entries: LedgerEntry[]; zone: string }) {
  // Renders again in a new language (describeEntry reads the current one).
  useTranslation('garage');
  return (
    <ul className="divide-y divide-slate-200 dark:divide-slate-800">
      {entries.map((entry) => (
        <li key={entry.id} className="flex items-center justify-between gap-3 px-4 py-3 text-sm">
          <span>
            <span className="block font-medium">{describeEntry(entry)}</span>
            <span className="text-slate-600 dark:text-slate-400">
              {formatDateTime(parseInstant(entry.at), zone)}
            </span>
          </span>
          <Amount value={entry.amount} />
        </li>
      ))}
    </ul>
  );
}
