// The managing side's words in French and German: plurals by each language's rules, the
// weekly summary in the chosen language's words and day names, and a component rendered in
// each language.

import i18next from 'i18next';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider } from 'react-i18next';
import { describe, expect, it } from 'vitest';
import { patternSummary, weekdayNames, type PatternRule } from '../src/lib/recurring';
import { BookingsAtRisk } from '../src/screens/spots/BookingsAtRisk';

const PARIS = 'Europe/Paris';

const rule: PatternRule = {
  weekdays: [3, 1],
  from: '08:00',
  until: '18:00',
  every_weeks: 2,
  starts_on: '2026-12-07',
  ends_on: '2027-01-31',
};

const bookings = [
  { start: Date.parse('2026-12-07T08:00:00Z'), end: Date.parse('2026-12-07T10:00:00Z') },
  { start: Date.parse('2026-12-09T08:00:00Z'), end: Date.parse('2026-12-09T10:00:00Z') },
];

function atRisk(language: string, count: number): string {
  const t = i18next.getFixedT(language, 'manage');
  return renderToStaticMarkup(
    createElement(
      I18nextProvider,
      { i18n: i18next },
      createElement(BookingsAtRisk, {
        bookings: bookings.slice(0, count),
        zone: PARIS,
        none: t('spots.timeOffDialog.none'),
      }),
    ),
  );
}

describe('the managing side in French and German', () => {
  it('has plurals by each language’s rules', () => {
    const fr = i18next.getFixedT('fr', 'manage');
    const de = i18next.getFixedT('de', 'manage');
    expect(fr('spots.form.everyWeeks', { count: 1 })).toBe('Chaque semaine');
    expect(fr('spots.form.everyWeeks', { count: 3 })).toBe('Toutes les 3 semaines');
    expect(de('spots.form.everyWeeks', { count: 1 })).toBe('Jede Woche');
    expect(de('spots.form.everyWeeks', { count: 3 })).toBe('Alle 3 Wochen');
    expect(fr('mySpots.bookingsIn', { count: 2, list: 'x; y' })).toBe('2 réservations\u00a0: x; y');
    expect(de('mySpots.showAll', { count: 6 })).toBe('Alle 6 Zeitfenster anzeigen');
  });

  it('says a weekly pattern in the chosen language, with its day names', async () => {
    // Intl's short names ("lun.", "Mo" or "Mo.", as the ICU data has them).
    const days = (language: string) => {
      const names = weekdayNames(language);
      return `${names[0]?.short}, ${names[2]?.short}`;
    };
    expect(weekdayNames('fr')[0]?.long).toBe('lundi');
    expect(weekdayNames('de')[2]?.long).toBe('Mittwoch');
    await i18next.changeLanguage('fr');
    expect(patternSummary(rule, '2026-12-01')).toBe(
      `Libre ${days('fr')} toutes les 2 semaines 08:00–18:00 à partir du 2026-12-07 jusqu’au 2027-01-31`,
    );
    expect(
      patternSummary({ ...rule, weekdays: [1, 2, 3, 4, 5], every_weeks: 1 }, '2026-12-08'),
    ).toBe('Libre en semaine 08:00–18:00 jusqu’au 2027-01-31');
    await i18next.changeLanguage('de');
    expect(patternSummary(rule, '2026-12-01')).toBe(
      `Frei ${days('de')} alle 2 Wochen 08:00–18:00 ab 2026-12-07 bis 2027-01-31`,
    );
    await i18next.changeLanguage('en');
    expect(patternSummary(rule, '2026-12-01')).toBe(
      'Free Mon, Wed every 2 weeks 08:00–18:00 from 2026-12-07 until 2027-01-31',
    );
  });

  it('renders the bookings at risk in each language, one or several', async () => {
    await i18next.changeLanguage('fr');
    expect(atRisk('fr', 1)).toContain('1 réservation serait annulée et remboursée\u00a0:');
    expect(atRisk('fr', 2)).toContain('2 réservations seraient annulées et remboursées\u00a0:');
    expect(atRisk('fr', 0)).toContain('Aucune réservation ces jours-là.');
    await i18next.changeLanguage('de');
    expect(atRisk('de', 1)).toContain('1 Buchung würde storniert und erstattet:');
    expect(atRisk('de', 2)).toContain('2 Buchungen würden storniert und erstattet:');
    await i18next.changeLanguage('en');
    expect(atRisk('en', 2)).toContain('2 bookings would be cancelled and refunded:');
  });
});
