import type { LedgerEntry } from '../api/types';
import { formatDateTime, parseInstant } from '../lib/time';

const KIND_WORDS: Record<string, string> = {
  grant: 'Credits granted',
  hold: 'Booking (held until it ends)',
  refund: 'Booking cancelled: refund',
  payout: 'Your spot was used: payout',
  adjustment: 'Adjusted by the admin',
};

export function describeEntry(entry: { kind: string; reason: string | null }): string {
  const base = KIND_WORDS[entry.kind] ?? entry.kind;
  if (entry.kind === 'grant' && entry.reason === 'starting credits') return 'Starting credits';
  return entry.reason ? `${base}: ${entry.reason}` : base;
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
