import { useState } from 'react';
import type { AuditEntry, Me } from '../../api/types';
import { useServices } from '../../app/services';
import { Button, Card, ErrorNotice, Loading, SectionTitle, SelectField } from '../../components/ui';
import { keys } from '../../data/keys';
import { useAction } from '../../hooks/useAction';
import { useQuery } from '../../hooks/useQuery';
import { formatDateTime, parseInstant } from '../../lib/time';

const FILTERS = [
  { value: '', label: 'Everything' },
  { value: 'admin.', label: 'Admin actions' },
  { value: 'account.', label: 'Account changes' },
  { value: 'security.', label: 'Security events' },
];

const PAGE = 50;

/** "admin.credits_adjusted" → "Admin: credits adjusted". */
export function actionLabel(action: string): string {
  const [kind = '', name = ''] = action.split('.', 2);
  const words = name.replace(/_/g, ' ');
  return `${kind.charAt(0).toUpperCase()}${kind.slice(1)}: ${words}`;
}

function detailText(detail: Record<string, unknown> | null): string {
  if (!detail) return '';
  return Object.entries(detail)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(
      ([k, v]) =>
        `${k.replace(/_/g, ' ')}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
    )
    .join(' · ');
}

export function AuditPanel({ me }: { me: Me }) {
  const { api } = useServices();
  const zone = me.building.timezone;
  const [action, setAction] = useState('');
  const [older, setOlder] = useState<AuditEntry[]>([]);
  const first = useQuery(
    keys.audit(action || 'all'),
    async () => (await api.audit({ action: action || undefined, limit: PAGE })).entries,
    { onMount: 'refetch' },
  );
  const entries = [...(first.data ?? []), ...older];
  const last = entries[entries.length - 1];
  const more = useAction(async () => {
    if (!last) return;
    const page = (await api.audit({ action: action || undefined, before: last.id, limit: PAGE }))
      .entries;
    setOlder((o) => [...o, ...page]);
  });
  const canLoadMore =
    (first.data?.length ?? 0) >= PAGE && (older.length === 0 || older.length % PAGE === 0);
  return (
    <Card>
      <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
        <SectionTitle>Audit log</SectionTitle>
        <SelectField
          label="Show"
          value={action}
          onChange={(e) => {
            setAction(e.target.value);
            setOlder([]);
          }}
          className="w-48"
        >
          {FILTERS.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
        </SelectField>
      </div>
      {first.error !== undefined && first.error !== null && (
        <ErrorNotice error={first.error} onRetry={first.refetch} />
      )}
      {!first.data && !first.error && <Loading />}
      {first.data && entries.length === 0 && <p className="text-sm">Nothing recorded yet.</p>}
      <ul className="divide-y divide-slate-200 dark:divide-slate-800">
        {entries.map((e) => (
          <li key={e.id} className="py-2 text-sm">
            <p className="font-medium">{actionLabel(e.action)}</p>
            <p className="text-slate-600 dark:text-slate-400">
              {formatDateTime(parseInstant(e.at), zone)}
              {e.actor ? ` · by ${e.actor.display_name}` : ''}
              {e.subject && e.subject.id !== e.actor?.id
                ? ` · about ${e.subject.display_name}`
                : ''}
              {e.address ? ` · from ${e.address}` : ''}
            </p>
            {e.detail && Object.keys(e.detail).length > 0 && (
              <p className="break-words text-slate-700 dark:text-slate-300">
                {detailText(e.detail)}
              </p>
            )}
          </li>
        ))}
      </ul>
      <ErrorNotice error={more.error} />
      {canLoadMore && (
        <Button
          variant="secondary"
          className="mt-3"
          pending={more.pending}
          onClick={() => void more.run().catch(() => {})}
        >
          Show older entries
        </Button>
      )}
    </Card>
  );
}
