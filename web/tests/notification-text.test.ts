import i18next from 'i18next';
import { afterAll, describe, expect, it } from 'vitest';
import type { Notification } from '../src/api/types';
import { notificationText } from '../src/lib/notifications';

const facts = {
  reservation_id: 'r1',
  spot_id: 's1',
  spot_label: 'B1-05',
  start: '2026-12-04T09:00:00Z',
  end: '2026-12-04T11:00:00Z',
  amount: 3,
};

function note(kind: Notification['kind'], data: Record<string, unknown> = facts): Notification {
  return {
    id: 1,
    kind,
    title: 'server title',
    body: 'server body',
    data,
    read: false,
    at: '2026-12-04T08:00:00Z',
  } as Notification;
}

afterAll(async () => {
  await i18next.changeLanguage('en');
});

describe('notification texts', () => {
  it('are worded in the reader’s language from the facts, times in the building’s zone', async () => {
    await i18next.changeLanguage('en');
    expect(notificationText(note('spot.booked'), 'Europe/Paris').title).toBe(
      'Your spot was booked',
    );
    expect(notificationText(note('credits.earned'), 'Europe/Paris').title).toBe('3 credits earned');
    expect(notificationText(note('booking.starts_soon'), 'Europe/Paris').title).toBe(
      'Starts at 10:00',
    );
    const cancelled = notificationText(
      note('booking.cancelled', { ...facts, by: 'owner' }),
      'Europe/Paris',
    );
    expect(cancelled.body).toMatch(/^Spot B1-05, .*10:00–12:00: cancelled by the owner\.$/);
    await i18next.changeLanguage('fr');
    expect(notificationText(note('spot.booked'), 'Europe/Paris').title).toBe(
      'Votre place a été réservée',
    );
    expect(
      notificationText(note('credits.earned', { ...facts, amount: 1 }), 'Europe/Paris').title,
    ).toBe('1 crédit gagné');
    await i18next.changeLanguage('de');
    expect(notificationText(note('booking.ends_soon'), 'Europe/Paris').title).toBe(
      'Endet um 12:00',
    );
  });

  it('keep the server’s words when the facts are not there', async () => {
    await i18next.changeLanguage('fr');
    expect(notificationText(note('spot.booked', {}), 'Europe/Paris')).toEqual({
      title: 'server title',
      body: 'server body',
    });
  });
});
