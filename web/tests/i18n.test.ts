import i18next from 'i18next';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError, problemMessage } from '../src/api/problems';
import { browserLanguage } from '../src/i18n';

afterAll(async () => {
  await i18next.changeLanguage('en');
});

describe('languages', () => {
  it('defaults to the first of the browser’s languages the app speaks', () => {
    expect(browserLanguage(['fr-CA', 'en-US'])).toBe('fr');
    expect(browserLanguage(['es-ES', 'de-AT'])).toBe('de');
    expect(browserLanguage(['es-ES'])).toBe('en');
    expect(browserLanguage([])).toBe('en');
  });

  it('words refusals and plurals in each language', async () => {
    const taken = new ApiError(409, { code: 'spot_taken' });
    const window = new ApiError(422, { code: 'invalid_window', detail: 'too long' });
    await i18next.changeLanguage('fr');
    expect(problemMessage(taken)).toMatch(/^Quelqu’un vient de réserver/);
    expect(problemMessage(window)).toBe('Ce créneau ne convient pas : Too long.');
    expect(i18next.t('bell.unread', { count: 1 })).toBe('Notifications, 1 non lue');
    expect(i18next.t('bell.unread', { count: 3 })).toBe('Notifications, 3 non lues');
    await i18next.changeLanguage('de');
    expect(problemMessage(taken)).toMatch(/^Jemand hat diesen Stellplatz/);
    expect(problemMessage(new ApiError(0, { code: 'network' }))).toMatch(/nicht erreichbar/);
    await i18next.changeLanguage('en');
    expect(problemMessage(window)).toBe('That time window doesn’t work: Too long.');
  });
});
