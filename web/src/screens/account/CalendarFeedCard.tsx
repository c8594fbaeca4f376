// "Add to calendar": the resident's secret feed URL, to subscribe to in any calendar app
// (webcal: opens one; the https URL is for pasting), and a new URL in its place when the old
// one has been shared too widely.

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useServices } from '../../app/services';
import { CopyField } from '../../components/CopyField';
import { Dialog } from '../../components/Dialog';
import { useToast } from '../../components/Toasts';
import { Button, Card, ErrorNotice, Loading, SectionTitle, buttonClass } from '../../components/ui';
import { keys } from '../../data/keys';
import { useAction } from '../../hooks/useAction';
import { useQuery } from '../../hooks/useQuery';

/** The same feed as webcal://, which desktops and phones hand to their calendar app. */
export function webcalUrl(url: string): string {
  return url.replace(/^https?:/, 'webcal:');
}

export function CalendarFeedCard() {
  const { t } = useTranslation('manage');
  const { api, cache } = useServices();
  const toast = useToast();
  const link = useQuery(keys.calendar, async () => (await api.calendarLink()).url);
  const [confirming, setConfirming] = useState(false);
  const rotate = useAction(async () => {
    const { url } = await api.rotateCalendar();
    cache.patch<string>(
      (k) => k === keys.calendar,
      () => url,
    );
    return url;
  });
  const confirm = () =>
    rotate.run().then(
      () => {
        setConfirming(false);
        toast.success(t('account.calendar.made'));
      },
      () => {},
    );

  return (
    <Card>
      <SectionTitle id="calendar-feed">{t('account.calendar.title')}</SectionTitle>
      <p className="mb-3 text-sm">{t('account.calendar.body')}</p>
      {link.error !== undefined && link.error !== null && (
        <ErrorNotice error={link.error} onRetry={link.refetch} />
      )}
      {!link.data && !link.error && <Loading />}
      {link.data && (
        <div className="space-y-3" data-testid="calendar-feed">
          <a href={webcalUrl(link.data)} className={buttonClass('primary')}>
            {t('account.calendar.subscribe')}
          </a>
          <CopyField label={t('account.calendar.webcal')} value={webcalUrl(link.data)} />
          <CopyField label={t('account.calendar.https')} value={link.data} />
          <Button variant="secondary" onClick={() => setConfirming(true)}>
            {t('account.calendar.newLink')}
          </Button>
        </div>
      )}
      {confirming && (
        <Dialog title={t('account.calendar.confirmTitle')} onClose={() => setConfirming(false)}>
          <p className="text-sm">{t('account.calendar.confirmBody')}</p>
          <div className="mt-4">
            <ErrorNotice error={rotate.error} />
          </div>
          <div className="mt-4 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <Button variant="secondary" onClick={() => setConfirming(false)} data-autofocus>
              {t('account.calendar.keep')}
            </Button>
            <Button variant="danger" pending={rotate.pending} onClick={() => void confirm()}>
              {t('account.calendar.make')}
            </Button>
          </div>
        </Dialog>
      )}
    </Card>
  );
}
