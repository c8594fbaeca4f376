// The app's languages (English, French, German) through i18next: catalogues in
// locales/<language>/<namespace>.json, plurals by i18next's `_one`/`_other` keys (Intl's
// plural rules), dates and times by Intl in the building's zone (lib/time.ts follows the
// language chosen here). The choice: this device's (remembered), else the one saved on the
// server (`locale` of the resident's preferences, which mail follows too), else the browser's.

import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { setDisplayLocale } from '../lib/time';
import { catalogues, NAMESPACES } from './catalogues';

export const LANGUAGES = ['en', 'fr', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];
/** Each language in its own words (a picker is read by whoever does not read the current one). */
export const LANGUAGE_NAMES: Record<Language, string> = {
  en: 'English',
  fr: 'Français',
  de: 'Deutsch',
};

const STORAGE_KEY = 'parkshare.locale';

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The first of the browser's languages the app speaks ("fr-CA" is French), else English. */
export function browserLanguage(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return 'en';
}

export function rememberedLanguage(): Language | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return isLanguage(value) ? value : null;
  } catch {
    return null;
  }
}

function remember(language: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // Storage refused: the choice lasts as long as the tab (and the server keeps it).
  }
}

function apply(language: Language): void {
  setDisplayLocale(language);
  document.documentElement.lang = language;
}

export async function startI18n(): Promise<void> {
  const language =
    rememberedLanguage() ??
    browserLanguage(typeof navigator === 'undefined' ? [] : navigator.languages);
  await i18next.use(initReactI18next).init({
    resources: catalogues,
    lng: language,
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    ns: [...NAMESPACES],
    defaultNS: 'common',
    interpolation: { escapeValue: false }, // React escapes
    returnNull: false,
    // A key missing from a catalogue is a bug the end-to-end tests listen for.
    saveMissing: true,
    missingKeyHandler: (languages, namespace, key) => {
      console.error(`i18n: missing ${namespace}:${key} (${languages.join(',')})`);
    },
  });
  apply(language);
}

/** The resident picked a language: now, on this device from now on. */
export async function chooseLanguage(language: Language): Promise<void> {
  remember(language);
  apply(language);
  await i18next.changeLanguage(language);
}

/**
 * The resident's saved choice, once known: adopted when this device has none of its own
 * (the server's default, English, is not a choice, so the browser's language stays).
 */
export async function adoptSavedLanguage(saved: string): Promise<void> {
  if (rememberedLanguage() !== null || !isLanguage(saved) || saved === 'en') return;
  if (saved !== i18next.language) await chooseLanguage(saved);
}

export function currentLanguage(): Language {
  return isLanguage(i18next.language) ? i18next.language : 'en';
}
