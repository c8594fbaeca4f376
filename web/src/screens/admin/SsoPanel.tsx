import type { Me } from '../../api/types';
import { useServices } from '../../app/services';
import { CopyField } from '../../components/CopyField';
import { Card, ErrorNotice, Loading, SectionTitle } from '../../components/ui';
import { keys } from '../../data/keys';
import { useQuery } from '../../hooks/useQuery';
import { formatDateTime, parseInstant } from '../../lib/time';

/** The address residents open to see "Sign in with your building's account". */
export function ssoSignInLink(buildingId: string): string {
  const { origin, pathname } = window.location;
  return `${origin}${pathname}?building=${encodeURIComponent(buildingId)}`;
}

export function SsoPanel({ me }: { me: Me }) {
  const { api } = useServices();
  const sso = useQuery(keys.sso, async () => (await api.sso()).sso, { onMount: 'refetch' });
  const settings = sso.data;
  return (
    <Card>
      <SectionTitle>Single sign-on</SectionTitle>
      {sso.error !== undefined && sso.error !== null && (
        <ErrorNotice error={sso.error} onRetry={sso.refetch} />
      )}
      {sso.data === undefined && !sso.error && <Loading />}
      {sso.data === null && (
        <p className="text-sm">Not set up: residents sign in with their email and password.</p>
      )}
      {settings && (
        <div className="space-y-4">
          <p className="text-sm font-medium text-green-800 dark:text-green-300">
            On: residents can sign in with the building’s account.
          </p>
          <dl className="grid gap-x-4 gap-y-2 text-sm sm:grid-cols-[12rem_1fr]">
            <dt className="text-slate-600 dark:text-slate-400">Provider (issuer)</dt>
            <dd className="break-all font-mono">{settings.issuer}</dd>
            <dt className="text-slate-600 dark:text-slate-400">Client ID</dt>
            <dd className="break-all font-mono">{settings.client_id}</dd>
            <dt className="text-slate-600 dark:text-slate-400">Client secret</dt>
            <dd>
              {settings.has_client_secret
                ? 'stored (never shown)'
                : 'none: a public client, PKCE only'}
            </dd>
            <dt className="text-slate-600 dark:text-slate-400">Email domain</dt>
            <dd>{settings.email_domain ?? 'any'}</dd>
            <dt className="text-slate-600 dark:text-slate-400">Required group</dt>
            <dd>{settings.required_group ?? 'none'}</dd>
            <dt className="text-slate-600 dark:text-slate-400">Last changed</dt>
            <dd>{formatDateTime(parseInstant(settings.updated_at), me.building.timezone)}</dd>
          </dl>
          <CopyField
            label="Sign-in link to share with residents"
            value={ssoSignInLink(me.building.id)}
          />
        </div>
      )}
      <p className="mt-4 text-sm text-slate-700 dark:text-slate-300">
        The provider is set with <code className="font-mono">PUT /sso</code> on the admin function
        (see the README’s “Single sign-on” section).
      </p>
    </Card>
  );
}
