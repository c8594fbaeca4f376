import { useTranslation } from 'react-i18next';
import type { Me } from '../api/types';
import { LedgerList } from '../components/LedgerList';
import { Card, EmptyState, PageTitle, SectionTitle } from '../components/ui';

export function CreditsScreen({ me }: { me: Me }) {
  const { t } = useTranslation('garage');
  const zone = me.building.timezone;
  const { cost } = me.building.policy;
  const held = me.reservations.upcoming.reduce((sum, r) => sum + r.cost, 0);
  return (
    <div>
      <PageTitle>{t('credits.title')}</PageTitle>
      <div className="grid gap-3 sm:grid-cols-3">
        <Card>
          <p className="text-sm text-slate-600 dark:text-slate-400">{t('credits.balance')}</p>
          <p className="text-4xl font-bold tabular-nums">{me.credits}</p>
        </Card>
        <Card>
          <p className="text-sm text-slate-600 dark:text-slate-400">{t('credits.held')}</p>
          <p className="text-4xl font-bold tabular-nums">{held}</p>
        </Card>
        <Card>
          <p className="text-sm text-slate-600 dark:text-slate-400">{t('credits.cost')}</p>
          <p className="text-4xl font-bold tabular-nums">{cost}</p>
        </Card>
      </div>
      <p className="mt-3 text-sm text-slate-700 dark:text-slate-300">{t('credits.explain')}</p>
      <section className="mt-6" aria-labelledby="ledger-title">
        <SectionTitle id="ledger-title">{t('credits.history')}</SectionTitle>
        {me.ledger.length === 0 ? (
          <EmptyState title={t('credits.empty')} />
        ) : (
          <Card as="div" className="p-0">
            <LedgerList entries={me.ledger} zone={zone} />
          </Card>
        )}
      </section>
    </div>
  );
}
