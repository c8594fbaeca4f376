import { useState } from 'react';
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
  const residents = useResidents();
  const [disabling, setDisabling] = useState<Resident | null>(null);
  const list = residents.data ?? [];
  const active = list.filter((r) => r.active).length;
  return (
    <Card>
      <div className="mb-3 flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="text-lg font-semibold">Residents</h2>
        {residents.data && (
          <p className="text-sm text-slate-600 dark:text-slate-400">
            {active} active of {list.length}
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
          {resident.display_name}
          {resident.role === 'admin' && (
            <span className="ml-2 rounded-full bg-violet-100 px-2 py-0.5 text-xs font-semibold text-violet-900 dark:bg-violet-950 dark:text-violet-200">
              admin
            </span>
          )}
          {!resident.active && (
            <span className="ml-2 rounded-full bg-slate-200 px-2 py-0.5 text-xs font-semibold text-slate-800 dark:bg-slate-700 dark:text-slate-100">
              disabled
            </span>
          )}
        </p>
        <p className="break-words text-slate-600 dark:text-slate-400">
          {resident.email ?? 'no email'} ·{' '}
          {resident.sign_in === 'sso' ? 'building account' : 'password'} · joined{' '}
          {formatDateTime(parseInstant(resident.created_at), zone)}
        </p>
        <p className="text-slate-700 dark:text-slate-300">
          <span className="font-semibold tabular-nums">{resident.credits}</span> credits ·{' '}
          {resident.spots} {resident.spots === 1 ? 'spot' : 'spots'} ·{' '}
          {resident.upcoming_reservations} upcoming
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
          title={isMe ? 'You cannot disable your own account' : undefined}
          onClick={onDisable}
        >
          Disable
        </Button>
      ) : (
        <Button
          variant="secondary"
          size="sm"
          pending={enable.pending}
          onClick={() =>
            enable.run().then(
              () => toast.success(`${resident.display_name} can sign in again.`),
              () => {},
            )
          }
        >
          Enable
        </Button>
      )}
    </li>
  );
}

function DisableDialog({ resident, onClose }: { resident: Resident; onClose: () => void }) {
  const { api, cache } = useServices();
  const toast = useToast();
  const disable = useAction(async () => {
    const summary = await api.disableResident(resident.id);
    cache.invalidatePrefix(keys.residents, 'spots:', keys.me, 'admin:ledger');
    return summary;
  });
  return (
    <Dialog title={`Disable ${resident.display_name}?`} onClose={onClose}>
      <div className="space-y-3 text-sm">
        <p>
          {resident.display_name} is signed out everywhere at once and can no longer sign in. Their
          bookings that have not started are cancelled and refunded, and so are other residents’
          bookings of their spots; their spots stop being shared. A stay under way finishes
          normally.
        </p>
        <ErrorNotice error={disable.error} />
        <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <Button variant="secondary" onClick={onClose} data-autofocus>
            Keep active
          </Button>
          <Button
            variant="danger"
            pending={disable.pending}
            onClick={() =>
              disable.run().then(
                (s) => {
                  toast.success(
                    `${resident.display_name} is disabled: ${s.cancelled} bookings cancelled, ${s.spots_withdrawn} spots withdrawn, ${s.sessions_ended} sessions ended.`,
                  );
                  onClose();
                },
                () => {},
              )
            }
          >
            Disable {resident.display_name}
          </Button>
        </div>
      </div>
    </Dialog>
  );
}
