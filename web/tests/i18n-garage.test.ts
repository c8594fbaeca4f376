import i18next from 'i18next';
import { afterEach, describe, expect, it } from 'vitest';
import type { SpotRequest } from '../src/api/types';
import { requestOutcome } from '../src/components/FindSpotCard';
import { describeEntry } from '../src/components/LedgerList';
import { KIND_LABELS, kindLabel } from '../src/lib/notifications';
import { bookingChoices, checkBooking, garageChoices } from '../src/lib/windows';

const PARIS = 'Europe/Paris';
const now = Date.parse('2026-12-01T12:00:00Z');
const policy = (horizon_days: number) => ({
  cost: 3,
  starting_credits: 50,
  max_hours: 24,
  horizon_days,
  checkin_grace_minutes: 0,
  no_show_owner_share: 1,
});
const farAhead = { start: now + 40 * 86_400_000, end: now + 40 * 86_400_000 + 3_600_000 };
const waiting = (ahead: number): SpotRequest => ({
  id: 'q1',
  start: '2026-12-03T09:00:00Z',
  end: '2026-12-03T11:00:00Z',
  status: 'waiting',
  reservation_id: null,
  created_at: '2026-12-02T09:00:00Z',
  ahead,
});
const label = () => 'B1-05';

afterEach(async () => {
  await i18next.changeLanguage('en');
});

describe('the garage in French', () => {
  it('counts credits with French plurals (0 and 1 are singular)', async () => {
    await i18next.changeLanguage('fr');
    expect(i18next.t('garage:creditCount', { count: 0 })).toBe('0 crédit');
    expect(i18next.t('garage:creditCount', { count: 1 })).toBe('1 crédit');
    expect(i18next.t('garage:creditCount', { count: 3 })).toBe('3 crédits');
    // French's `many` (a million): no fallback to English.
    expect(i18next.t('garage:creditCount', { count: 1_000_000 })).toBe('1000000 crédits');
  });

  it('says the checks, the choices and the queue in French', async () => {
    await i18next.changeLanguage('fr');
    expect(checkBooking(farAhead, now, policy(1)).warnings).toEqual([
      'On peut réserver au plus 1 jour à l’avance.',
    ]);
    expect(checkBooking(farAhead, now, policy(30)).warnings).toEqual([
      'On peut réserver au plus 30 jours à l’avance.',
    ]);
    expect(bookingChoices(now, PARIS).map((c) => c.label)[0]).toBe('Maintenant · 1 h');
    expect(requestOutcome(waiting(1), label, () => null)).toMatch(/\(1 demande avant la vôtre\)$/);
    expect(requestOutcome(waiting(2), label, () => null)).toMatch(/\(2 demandes avant la vôtre\)$/);
    expect(kindLabel('spot.booked')).toBe('Quelqu’un réserve ma place');
    expect(KIND_LABELS['credits.earned']).toBe('Je gagne des crédits');
  });
});

describe('the garage in German', () => {
  it('counts credits with German plurals (0 is plural)', async () => {
    await i18next.changeLanguage('de');
    expect(i18next.t('garage:creditCount', { count: 0 })).toBe('0 Credits');
    expect(i18next.t('garage:creditCount', { count: 1 })).toBe('1 Credit');
    expect(i18next.t('garage:spot.days', { count: 7 })).toBe('7 Tage');
    expect(i18next.t('garage:timeline.dayHours', { count: 23 })).toBe(
      'Tag mit 23 Stunden (Zeitumstellung)',
    );
  });

  it('says the checks, the ledger and the queue in German', async () => {
    await i18next.changeLanguage('de');
    expect(checkBooking(farAhead, now, policy(1)).warnings).toEqual([
      'Buchungen sind höchstens 1 Tag im Voraus möglich.',
    ]);
    expect(requestOutcome(waiting(1), label, () => null)).toMatch(/\(1 Anfrage vor Ihnen\)$/);
    expect(requestOutcome(waiting(3), label, () => null)).toMatch(/\(3 Anfragen vor Ihnen\)$/);
    expect(describeEntry({ kind: 'grant', reason: 'starting credits' })).toBe('Startguthaben');
    expect(describeEntry({ kind: 'adjustment', reason: 'Welcome' })).toBe(
      'Von der Verwaltung angepasst: Welcome',
    );
    expect(garageChoices(now, PARIS).find((c) => c.id === 'next24')?.label).toBe('Nächste 24 h');
  });
});

describe('English stays as it was', () => {
  it('keeps the texts the end-to-end tests look for', () => {
    expect(i18next.t('garage:reserve.confirm')).toBe('Confirm reservation');
    expect(i18next.t('garage:creditCount', { count: 3 })).toBe('3 credits');
    expect(i18next.t('garage:creditCount', { count: 1 })).toBe('1 credit');
    expect(KIND_LABELS['booking.confirmed']).toBe('My booking is confirmed');
    expect(describeEntry({ kind: 'payout', reason: null })).toBe('Your spot was used: payout');
  });
});
