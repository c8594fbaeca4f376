// "Add to calendar": the resident's secret feed URL, to subscribe to in any calendar app
// (webcal: opens one; the https URL is for pasting), and a new URL in its place when the old
// one has been shared too widely.

import { useState } from 'react';
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
        toast.success('New calendar link made. The old one no longer works.');
      },
      () => {},
    );

  return (
    <Card>
      <SectionTitle id="calendar-feed">Add to calendar</SectionTitle>
      <p className="mb-3 text-sm">
        Your bookings, and the bookings of your spots, in your own calendar app. It updates by
        itself, cancellations included. Anyone with this link can see them: keep it to yourself.
      </p>
      {link.error !== undefined && link.error !== null && (
        <ErrorNotice error={link.error} onRetry={link.refetch} />
      )}
      {!link.data && !link.error && <Loading />}
      {link.data && (
        <div className="space-y-3" data-testid="calendar-feed">
          <a href={webcalUrl(link.data)} className={buttonClass('primary')}>
            Subscribe in my calendar app
          </a>
          <CopyField label="Calendar link (webcal)" value={webcalUrl(link.data)} />
          <CopyField label="Calendar link (https)" value={link.data} />
          <Button variant="secondary" onClick={() => setConfirming(true)}>
            New link
          </Button>
        </div>
      )}
      {confirming && (
        <Dialog title="Make a new calendar link?" onClose={() => setConfirming(false)}>
          <p className="text-sm">
            The current link stops working at once: calendars subscribed to it stop updating until
            you give them the new one.
          </p>
          <div className="mt-4">
            <ErrorNotice error={rotate.error} />
          </div>
          <div className="mt-4 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <Button variant="secondary" onClick={() => setConfirming(false)} data-autofocus>
              Keep the current link
            </Button>
            <Button variant="danger" pending={rotate.pending} onClick={() => void confirm()}>
              Make a new link
            </Button>
          </div>
        </Dialog>
      )}
    </Card>
  );
}
