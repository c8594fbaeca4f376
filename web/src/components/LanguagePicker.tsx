// The app's language: English, French or German, each named in its own words. The choice is
// remembered on this device and, when signed in, saved in the resident's preferences (mail
// follows it too).

import { useTranslation } from 'react-i18next';
import { chooseLanguage, isLanguage, LANGUAGE_NAMES, LANGUAGES, type Language } from '../i18n';

export function LanguagePicker({
  onChosen,
  className = '',
}: {
  /** After the switch, e.g. to save the choice on the server. */
  onChosen?: (language: Language) => void;
  className?: string;
}) {
  const { t, i18n } = useTranslation();
  return (
    <label className={`flex items-center gap-2 text-sm font-medium ${className}`}>
      <span>{t('language.label')}</span>
      <select
        data-testid="language"
        value={isLanguage(i18n.language) ? i18n.language : 'en'}
        onChange={(event) => {
          const language = event.target.value;
          if (!isLanguage(language)) return;
          void chooseLanguage(language).then(() => onChosen?.(language));
        }}
        className="rounded-lg border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-600 dark:bg-slate-900"
      >
        {LANGUAGES.map((language) => (
          <option key={language} value={language} lang={language}>
            {LANGUAGE_NAMES[language]}
          </option>
        ))}
      </select>
    </label>
  );
}
