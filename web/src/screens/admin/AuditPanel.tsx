import i18next from 'i18next';
import { useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import type { AuditEntry, Me } from '../../api/types';
import { useServices } from '../../app/services';
import { Button, Card, ErrorNotice, Loading, SectionTitle, SelectField } from '../../components/ui';
import { keys } from '../../data/keys';
import { useAction } from '../../hooks/useAction';
import { useQuery } from '../../hooks/useQuery';
import { formatDateTime, parseInstant } from '../../lib/time';

// Each filter's words are `audit.filters.<label>` in the admin namespace.
const FILTERS = [
  { value: '', label: 'all' },
  { value: 'admin.', label: 'admin' },
  { value: 'account.', label: 'account' },
  { value: 'security.', label: 'security' },
];

const DATA = { data: <span translate="no" /> };

const PAGE = 50;

/** "admin.credits_adjusted" → "Admin: credits adjusted", in the app's language; an action
 * the catalogue does not know yet is spelled from its code. */
export function actionLabel(action: string): string {
  const [kind = '', name = ''] = action.split('.', 2);
  // Only plain codes are looked up: nothing in an action can reach another key.
  const code = /^[a-z_]+$/;
  const kindKey = `admin:audit.kinds.${kind}`;
  const nameKey = `admin:audit.actions.${kind}.${name}`;
  const knownKind = code.test(kind) && i18next.exists(kindKey);
  const knownName = knownKind && code.test(name) && i18next.exists(nameKey);
  return i18next.t('admin:audit.action', {
    kind: knownKind ? i18next.t(kindKey) : `${kind.charAt(0).toUpperCase()}${kind.slice(1)}`,
    name: knownName ? i18next.t(nameKey) : name.replace(/_/g, ' '),
  });
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
  const { t } = useTranslation('admin');
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
        <SectionTitle>{t('audit.title')}</SectionTitle>
        <SelectField
          label={t('audit.show')}
          value={action}
          onChange={(e) => {
            setAction(e.target.value);
            setOlder([]);
          }}
          className="w-48"
        >
          {FILTERS.map((f) => (
            <option key={f.value} value={f.value}>
              {t(`audit.filters.${f.label}`)}
            </option>
          ))}
        </SelectField>
      </div>
      {first.error !== undefined && first.error !== null && (
        <ErrorNotice error={first.error} onRetry={first.refetch} />
      )}
      {!first.data && !first.error && <Loading />}
      {first.data && entries.length === 0 && <p className="text-sm">{t('audit.empty')}</p>}
      <ul className="divide-y divide-slate-200 dark:divide-slate-800">
        {entries.map((e) => (
          <li key={e.id} className="py-2 text-sm">
            <p className="font-medium">{actionLabel(e.action)}</p>
            <p className="text-slate-600 dark:text-slate-400">
              {formatDateTime(parseInstant(e.at), zone)}
              {e.actor && (
                <>
                  {' · '}
                  <Trans
                    t={t}
                    i18nKey="by"
                    values={{ name: e.actor.display_name }}
                    components={DATA}
                  />
                </>
              )}
              {e.subject && e.subject.id !== e.actor?.id && (
                <>
                  {' · '}
                  <Trans
                    t={t}
                    i18nKey="audit.about"
                    values={{ name: e.subject.display_name }}
                    components={DATA}
                  />
                </>
              )}
              {e.address && (
                <>
                  {' · '}
                  <Trans
                    t={t}
                    i18nKey="audit.from"
                    values={{ address: e.address }}
                    components={DATA}
                  />
                </>
              )}
            </p>
            {e.detail && Object.keys(e.detail).length > 0 && (
              <p translate="no" className="break-words text-slate-700 dark:text-slate-300">
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
          {t('audit.more')}
        </Button>
      )}
    </Card>
  );
}
