import { Trans, useTranslation } from 'react-i18next';
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
  const { t } = useTranslation('admin');
  const { api } = useServices();
  const sso = useQuery(keys.sso, async () => (await api.sso()).sso, { onMount: 'refetch' });
  const settings = sso.data;
  return (
    <Card>
      <SectionTitle>{t('sso.title')}</SectionTitle>
      {sso.error !== undefined && sso.error !== null && (
        <ErrorNotice error={sso.error} onRetry={sso.refetch} />
      )}
      {sso.data === undefined && !sso.error && <Loading />}
      {sso.data === null && <p className="text-sm">{t('sso.off')}</p>}
      {settings && (
        <div className="space-y-4">
          <p className="text-sm font-medium text-green-800 dark:text-green-300">{t('sso.on')}</p>
          <dl className="grid gap-x-4 gap-y-2 text-sm sm:grid-cols-[12rem_1fr]">
            <dt className="text-slate-600 dark:text-slate-400">{t('sso.issuer')}</dt>
            <dd translate="no" className="break-all font-mono">
              {settings.issuer}
            </dd>
            <dt className="text-slate-600 dark:text-slate-400">{t('sso.clientId')}</dt>
            <dd translate="no" className="break-all font-mono">
              {settings.client_id}
            </dd>
            <dt className="text-slate-600 dark:text-slate-400">{t('sso.clientSecret')}</dt>
            <dd>{t(settings.has_client_secret ? 'sso.secretStored' : 'sso.secretNone')}</dd>
            <dt className="text-slate-600 dark:text-slate-400">{t('sso.emailDomain')}</dt>
            {settings.email_domain ? (
              <dd translate="no">{settings.email_domain}</dd>
            ) : (
              <dd>{t('sso.anyDomain')}</dd>
            )}
            <dt className="text-slate-600 dark:text-slate-400">{t('sso.requiredGroup')}</dt>
            {settings.required_group ? (
              <dd translate="no">{settings.required_group}</dd>
            ) : (
              <dd>{t('sso.noGroup')}</dd>
            )}
            <dt className="text-slate-600 dark:text-slate-400">{t('sso.updated')}</dt>
            <dd>{formatDateTime(parseInstant(settings.updated_at), me.building.timezone)}</dd>
          </dl>
          <CopyField label={t('sso.link')} value={ssoSignInLink(me.building.id)} />
        </div>
      )}
      <p className="mt-4 text-sm text-slate-700 dark:text-slate-300">
        <Trans
          t={t}
          i18nKey="sso.howTo"
          components={{ code: <code translate="no" className="font-mono" /> }}
        />
      </p>
    </Card>
  );
}
