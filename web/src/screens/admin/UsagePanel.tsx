import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isCode } from '../../api/problems';
import type { Me } from '../../api/types';
import { useServices } from '../../app/services';
import { UtilizationChart } from '../../components/UtilizationChart';
import { Button, Card, ErrorNotice, Loading, Notice, SectionTitle } from '../../components/ui';
import { keys } from '../../data/keys';
import { useQuery } from '../../hooks/useQuery';
import { addDays, localDate, startOfLocalDay, toIso } from '../../lib/time';

const RANGES = [7, 30];

export function UsagePanel({ me }: { me: Me }) {
  const { t } = useTranslation('admin');
  const { api } = useServices();
  const zone = me.building.timezone;
  const [days, setDays] = useState(7);
  // Whole local days, today included: [today - (days-1), tomorrow).
  const today = localDate(Date.now(), zone);
  const start = toIso(startOfLocalDay(addDays(today, 1 - days), zone));
  const end = toIso(startOfLocalDay(addDays(today, 1), zone));
  const usage = useQuery(keys.utilization(start, end), () => api.utilization(start, end), {
    onMount: 'refetch',
  });
  const missing = isCode(usage.error, 'not_found', 'method_not_allowed');
  return (
    <Card>
      <div className="mb-4 flex flex-wrap items-center justify-between gap-2">
        <SectionTitle>{t('usage.title')}</SectionTitle>
        <div role="group" aria-label={t('usage.range')} className="flex gap-1">
          {RANGES.map((n) => (
            <Button
              key={n}
              size="sm"
              variant={n === days ? 'primary' : 'secondary'}
              aria-pressed={n === days}
              onClick={() => setDays(n)}
            >
              {t('usage.last', { count: n })}
            </Button>
          ))}
        </div>
      </div>
      {missing ? (
        <Notice tone="warning">{t('usage.missing')}</Notice>
      ) : (
        usage.error !== undefined &&
        usage.error !== null && <ErrorNotice error={usage.error} onRetry={usage.refetch} />
      )}
      {!usage.data && !usage.error && <Loading />}
      {usage.data && <UtilizationChart data={usage.data} />}
    </Card>
  );
}
