import i18next from 'i18next';
import { afterAll, describe, expect, it } from 'vitest';
import { actionLabel } from '../src/screens/admin/AuditPanel';

afterAll(async () => {
  await i18next.changeLanguage('en');
});

describe('the admin screens’ words', () => {
  it('keep the English the screens have always shown', async () => {
    await i18next.changeLanguage('en');
    expect(i18next.t('admin:sections.audit')).toBe('Audit log');
    expect(i18next.t('admin:invites.bulk.create', { count: 3 })).toBe('Create 3 invites');
    expect(i18next.t('admin:credits.granted', { count: 5, name: 'Carol' })).toBe(
      'Granted 5 credits to Carol.',
    );
    expect(actionLabel('admin.credits_adjusted')).toBe('Admin: credits adjusted');
  });

  it('are French and German, plurals included', async () => {
    await i18next.changeLanguage('fr');
    expect(i18next.t('admin:export.download')).toBe('Télécharger le CSV');
    expect(i18next.t('admin:invites.bulk.create', { count: 1 })).toBe('Créer 1 invitation');
    expect(i18next.t('admin:invites.bulk.create', { count: 4 })).toBe('Créer 4 invitations');
    expect(actionLabel('admin.user_disabled')).toBe('Administration : utilisateur désactivé');
    await i18next.changeLanguage('de');
    expect(i18next.t('admin:residents.spots', { count: 1 })).toBe('1 Stellplatz');
    expect(i18next.t('admin:residents.spots', { count: 2 })).toBe('2 Stellplätze');
    expect(i18next.t('admin:usage.last', { count: 7 })).toBe('Letzte 7 Tage');
    expect(actionLabel('security.login_failed')).toBe('Sicherheit: Anmeldung fehlgeschlagen');
  });

  it('spell an action the catalogue does not know from its code', async () => {
    await i18next.changeLanguage('de');
    expect(actionLabel('admin.something_new')).toBe('Verwaltung: something new');
    expect(actionLabel('billing.card_added')).toBe('Billing: card added');
  });
});
