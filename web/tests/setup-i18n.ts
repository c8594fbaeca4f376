// Unit tests run in English with every catalogue of every namespace loaded, as the app does,
// so that functions reading i18next.t (and components' t) see the app's own texts. A key
// missing from a catalogue fails the test that asked for it.

import i18next from 'i18next';
import { beforeAll } from 'vitest';
import { catalogues, NAMESPACES } from '../src/i18n/catalogues';
import { LANGUAGES } from '../src/i18n';

beforeAll(async () => {
  if (i18next.isInitialized) {
    await i18next.changeLanguage('en');
    return;
  }
  await i18next.init({
    resources: catalogues,
    lng: 'en',
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    ns: [...NAMESPACES],
    defaultNS: 'common',
    interpolation: { escapeValue: false },
    returnNull: false,
    saveMissing: true,
    missingKeyHandler: (languages, namespace, key) => {
      throw new Error(`i18n: missing ${namespace}:${key} (${languages.join(',')})`);
    },
  });
});
