import { useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import type { Me, Resident } from '../../api/types';
import { useServices } from '../../app/services';
import { Dialog } from '../../components/Dialog';
import { useToast } from '../../components/Toasts';
import { Button, Card, ErrorNotice, Loading } from '../../components/ui';
import { keys } from '../../data/keys';
import { useAction } from '../../hooks/useAction';
import { useQuery } from '../../hooks/useQuery';
import { formatDateTime, parseInstant } from '../../lib/time';

export function useResidents() {
  const { api } = useServices();
  return useQuery(keys.residents, async () => (await api.residents()).residents, {
    onMount: 'refetch',
  });
}

export function ResidentsPanel({ me }: { me: Me }) {
  const { t } = useTranslation('admin');
  const residents = useResidents();
  const [disabling, setDisabling] = useState<Resident | null>(null);
  const list = residents.data ?? [];
  const active = list.filter((r) => r.active).length;
  return (
    <Card>
      <div className="mb-3 flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="text-lg font-semibold">{t('residents.title')}</h2>
        {residents.data && (
          <p className="text-sm text-slate-600 dark:text-slate-400">
            {t('residents.activeOf', { count: active, total: list.length })}
          </p>
        )}
      </div>
      {residents.error !== undefined && residents.error !== null && (
        <ErrorNotice error={residents.error} onRetry={residents.refetch} />
      )}
      {!residents.data && !residents.error && <Loading />}
      <ul className="divide-y divide-slate-200 dark:divide-slate-800">
        {list.map((r) => (
          <ResidentRow
            key={r.id}
            resident={r}
            isMe={r.id === me.user.id}
            zone={me.building.timezone}
            onDisable={() => setDisabling(r)}
          />
        ))}
      </ul>
      {disabling && <DisableDialog resident={disabling} onClose={() => setDisabling(null)} />}
    </Card>
  );
}

function ResidentRow({
  resident,
  isMe,
  zone,
  onDisable,
}: {
  resident: Resident;
  isMe: boolean;
  zone: string;
  onDisable: () => void;
}) {
  const { t } = useTranslation('admin');
  const { api, cache } = useServices();
  const toast = useToast();
  const enable = useAction(async () => {
    await api.enableResident(resident.id);
    cache.invalidatePrefix(keys.residents);
  });
  return (
    <li className="flex flex-wrap items-center gap-3 py-3 text-sm">
      <div className="min-w-0 flex-1">
        <p className="font-semibold">
          <span translate="no">{resident.display_name}</span>
          {resident.role === 'admin' && (
            <span className="ml-2 rounded-full bg-violet-100 px-2 py-0.5 text-xs font-semibold text-violet-900 dark:bg-violet-950 dark:text-violet-200">
              {t('residents.adminBadge')}
            </span>
          )}
          {!resident.active && (
            <span className="ml-2 rounded-full bg-slate-200 px-2 py-0.5 text-xs font-semibold text-slate-800 dark:bg-slate-700 dark:text-slate-100">
              {t('residents.disabledBadge')}
            </span>
          )}
        </p>
        <p className="break-words text-slate-600 dark:text-slate-400">
          {resident.email ? <span translate="no">{resident.email}</span> : t('residents.noEmail')} ·{' '}
          {t(resident.sign_in === 'sso' ? 'residents.signInSso' : 'residents.signInPassword')} ·{' '}
          {t('residents.joined', { when: formatDateTime(parseInstant(resident.created_at), zone) })}
        </p>
        <p className="text-slate-700 dark:text-slate-300">
          <Trans
            t={t}
            i18nKey="residents.credits"
            count={resident.credits}
            components={{ num: <span className="font-semibold tabular-nums" /> }}
          />{' '}
          · {t('residents.spots', { count: resident.spots })} ·{' '}
          {t('residents.upcoming', { count: resident.upcoming_reservations })}
        </p>
        {enable.error !== null && (
          <div className="mt-1">
            <ErrorNotice error={enable.error} />
          </div>
        )}
      </div>
      {resident.active ? (
        <Button
          variant="secondary"
          size="sm"
          disabled={isMe}
          title={isMe ? t('residents.cannotDisableSelf') : undefined}
          onClick={onDisable}
        >
          {t('residents.disable')}
        </Button>
      ) : (
        <Button
          variant="secondary"
          size="sm"
          pending={enable.pending}
          onClick={() =>
            enable.run().then(
              () => toast.success(t('residents.enabled', { name: resident.display_name })),
              () => {},
            )
          }
        >
          {t('residents.enable')}
        </Button>
      )}
    </li>
  );
}

function DisableDialog({ resident, onClose }: { resident: Resident; onClose: () => void }) {
  const { t } = useTranslation('admin');
  const { api, cache } = useServices();
  const toast = useToast();
  const disable = useAction(async () => {
    const summary = await api.disableResident(resident.id);
    cache.invalidatePrefix(keys.residents, 'spots:', keys.me, 'admin:ledger');
    return summary;
  });
  return (
    <Dialog title={t('residents.dialog.title', { name: resident.display_name })} onClose={onClose}>
      <div className="space-y-3 text-sm">
        <p>
          <Trans
            t={t}
            i18nKey="residents.dialog.body"
            values={{ name: resident.display_name }}
            components={{ data: <span translate="no" /> }}
          />
        </p>
        <ErrorNotice error={disable.error} />
        <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <Button variant="secondary" onClick={onClose} data-autofocus>
            {t('residents.dialog.keep')}
          </Button>
          <Button
            variant="danger"
            pending={disable.pending}
            onClick={() =>
              disable.run().then(
                (s) => {
                  const summary = [
                    t('residents.bookingsCancelled', { count: s.cancelled }),
                    t('residents.spotsWithdrawn', { count: s.spots_withdrawn }),
                    t('residents.sessionsEnded', { count: s.sessions_ended }),
                  ].join(t('residents.summarySeparator'));
                  toast.success(t('residents.disabled', { name: resident.display_name, summary }));
                  onClose();
                },
                () => {},
              )
            }
          >
            {t('residents.dialog.confirm', { name: resident.display_name })}
          </Button>
        </div>
      </div>
    </Dialog>
  );
}
