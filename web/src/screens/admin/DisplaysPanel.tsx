import { useState, type FormEvent } from 'react';
import type { Display, DisplayCreated, Me } from '../../api/types';
import { useServices } from '../../app/services';
import { CopyField } from '../../components/CopyField';
import {
  Button,
  Card,
  EmptyState,
  ErrorNotice,
  Loading,
  SectionTitle,
  TextField,
} from '../../components/ui';
import { keys } from '../../data/keys';
import { useAction } from '../../hooks/useAction';
import { useQuery } from '../../hooks/useQuery';
import { formatDateTime, parseInstant } from '../../lib/time';
import { useTranslation } from 'react-i18next';

/** The address a lobby screen opens: the app's /board with the display's token after #. */
export function boardLink(token: string): string {
  const page = window.location.href.split('#')[0] ?? window.location.href;
  return new URL(`board#${token}`, page).href;
}

export function DisplaysPanel({ me }: { me: Me }) {
  const { t } = useTranslation('admin');
  const { api, cache } = useServices();
  const zone = me.building.timezone;
  const list = useQuery(keys.displays, async () => (await api.displays()).displays, {
    onMount: 'refetch',
  });
  const [name, setName] = useState('');
  const [made, setMade] = useState<DisplayCreated | null>(null);
  const create = useAction(() => api.createDisplay(name.trim()));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.run().then(
      (display) => {
        setMade(display);
        setName('');
        cache.invalidatePrefix(keys.displays);
      },
      () => {},
    );
  };
  return (
    <div className="space-y-6">
      <Card>
        <SectionTitle>{t('displays.newTitle')}</SectionTitle>
        <p className="mb-3 text-sm text-slate-700 dark:text-slate-300">{t('displays.intro')}</p>
        <form onSubmit={submit} className="grid gap-3 sm:grid-cols-[1fr_auto] sm:items-end">
          <TextField
            label={t('displays.name')}
            value={name}
            maxLength={100}
            onChange={(e) => setName(e.target.value)}
          />
          <Button type="submit" pending={create.pending} disabled={name.trim() === ''}>
            {t('displays.create')}
          </Button>
        </form>
        <div className="mt-3">
          <ErrorNotice error={create.error} />
        </div>
        {made && (
          <div className="mt-3 space-y-2 rounded-lg border border-slate-200 p-3 dark:border-slate-700">
            <p className="text-sm font-semibold" translate="no">
              {made.name}
            </p>
            <CopyField label={t('displays.link')} value={boardLink(made.token)} />
          </div>
        )}
      </Card>
      <Card>
        <SectionTitle>{t('displays.listTitle')}</SectionTitle>
        {list.error !== undefined && list.error !== null && (
          <ErrorNotice error={list.error} onRetry={list.refetch} />
        )}
        {list.data === undefined && !list.error && <Loading />}
        {list.data?.length === 0 && <EmptyState title={t('displays.none')} />}
        {list.data && list.data.length > 0 && (
          <ul className="divide-y divide-slate-200 dark:divide-slate-800">
            {list.data.map((display) => (
              <DisplayRow key={display.id} display={display} zone={zone} />
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}

function DisplayRow({ display, zone }: { display: Display; zone: string }) {
  const { api, cache } = useServices();
  const [confirming, setConfirming] = useState(false);
  const { t } = useTranslation('admin');
  const revoke = useAction(() => api.revokeDisplay(display.id));
  const seen = display.last_seen_at
    ? t('displays.lastSeen', { when: formatDateTime(parseInstant(display.last_seen_at), zone) })
    : t('displays.neverSeen');
  return (
    <li data-testid="display" className="flex flex-wrap items-center gap-3 py-3">
      <div className="min-w-0 flex-1">
        <p className="font-semibold" translate="no">
          {display.name}
        </p>
        <p className="text-sm text-slate-700 dark:text-slate-300">
          {t('displays.made', { when: formatDateTime(parseInstant(display.created_at), zone) })} ·{' '}
          {seen}
        </p>
        <ErrorNotice error={revoke.error} />
      </div>
      {confirming ? (
        <div className="flex gap-2">
          <Button
            variant="danger"
            size="sm"
            pending={revoke.pending}
            onClick={() =>
              revoke.run().then(
                () => cache.invalidatePrefix(keys.displays),
                () => {},
              )
            }
          >
            {t('displays.revokeForGood')}
          </Button>
          <Button variant="secondary" size="sm" onClick={() => setConfirming(false)}>
            {t('displays.keep')}
          </Button>
        </div>
      ) : (
        <Button variant="secondary" size="sm" onClick={() => setConfirming(true)}>
          {t('displays.revoke')}
        </Button>
      )}
    </li>
  );
}
