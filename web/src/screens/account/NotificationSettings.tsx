// What reaches the resident by email, how long before a booking starts they are reminded,
// and the language of what is sent to them. The server holds the choices (and checks them).

import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Locale, NotificationKind, NotificationPreferences } from '../../api/types';
import { useServices } from '../../app/services';
import { useToast } from '../../components/Toasts';
import {
  Button,
  Card,
  ErrorNotice,
  Loading,
  SectionTitle,
  SelectField,
  TextField,
} from '../../components/ui';
import { keys } from '../../data/keys';
import { useAction } from '../../hooks/useAction';
import { useQuery } from '../../hooks/useQuery';
import { KIND_LABELS, KINDS } from '../../lib/notifications';

const LANGUAGES: Record<Locale, string> = { en: 'English', fr: 'Français', de: 'Deutsch' };

export function NotificationSettings() {
  const { t } = useTranslation('manage');
  const { api, cache } = useServices();
  const toast = useToast();
  const saved = useQuery(keys.notificationPreferences, () => api.notificationPreferences());
  const [draft, setDraft] = useState<NotificationPreferences | null>(null);
  useEffect(() => {
    if (saved.data) setDraft(saved.data);
  }, [saved.data]);
  const save = useAction(async (choices: NotificationPreferences) => {
    const answer = await api.setNotificationPreferences(choices);
    cache.patch<NotificationPreferences>(
      (k) => k === keys.notificationPreferences,
      () => answer,
    );
    return answer;
  });

  if (!draft) {
    return (
      <Card>
        <SectionTitle>{t('account.notifications.title')}</SectionTitle>
        {saved.error ? <ErrorNotice error={saved.error} onRetry={saved.refetch} /> : <Loading />}
      </Card>
    );
  }
  const minutes = draft.remind_minutes;
  const valid = Number.isInteger(minutes) && minutes >= 0 && minutes <= 1440;
  const toggle = (kind: NotificationKind, on: boolean) =>
    setDraft({ ...draft, email: { ...draft.email, [kind]: on } });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!valid) return;
    save.run(draft).then(
      () => toast.success(t('account.notifications.saved')),
      () => {},
    );
  };
  return (
    <Card>
      <SectionTitle id="notification-settings">{t('account.notifications.title')}</SectionTitle>
      <form onSubmit={submit} className="space-y-4" aria-labelledby="notification-settings">
        <fieldset>
          <legend className="mb-2 text-sm font-medium">{t('account.notifications.legend')}</legend>
          <p className="mb-2 text-xs text-slate-600 dark:text-slate-400">
            {t('account.notifications.inApp')}
          </p>
          <div className="grid gap-2 sm:grid-cols-2">
            {KINDS.map((kind) => (
              <label key={kind} className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  className="h-4 w-4"
                  checked={draft.email[kind] ?? false}
                  onChange={(e) => toggle(kind, e.target.checked)}
                />
                {KIND_LABELS[kind]}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="grid gap-3 sm:grid-cols-2">
          <TextField
            label={t('account.notifications.remind')}
            type="number"
            min={0}
            max={1440}
            step={1}
            inputMode="numeric"
            value={Number.isNaN(minutes) ? '' : minutes}
            aria-invalid={!valid}
            onChange={(e) => setDraft({ ...draft, remind_minutes: e.target.valueAsNumber })}
            hint={t('account.notifications.remindHint')}
          />
          <SelectField
            label={t('account.notifications.language')}
            value={draft.locale}
            onChange={(e) => setDraft({ ...draft, locale: e.target.value as Locale })}
          >
            {(Object.keys(LANGUAGES) as Locale[]).map((code) => (
              <option key={code} value={code} lang={code} translate="no">
                {LANGUAGES[code]}
              </option>
            ))}
          </SelectField>
        </div>
        <ErrorNotice error={save.error} />
        <Button type="submit" pending={save.pending} disabled={!valid}>
          {t('account.notifications.submit')}
        </Button>
      </form>
    </Card>
  );
}
