// The resident's own account: name, password, notifications, the calendar feed, where they
// are signed in, appearance.

import i18next from 'i18next';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Me } from '../api/types';
import { useServices } from '../app/services';
import { LanguagePicker } from '../components/LanguagePicker';
import { useToast } from '../components/Toasts';
import {
  Button,
  Card,
  ErrorNotice,
  Loading,
  PageTitle,
  SectionTitle,
  TextField,
} from '../components/ui';
import { keys } from '../data/keys';
import { useAction } from '../hooks/useAction';
import { useQuery } from '../hooks/useQuery';
import { useTheme } from '../hooks/useTheme';
import { formatDateTime, parseInstant } from '../lib/time';
import type { ThemeChoice } from '../lib/theme';
import { CalendarFeedCard } from './account/CalendarFeedCard';
import { NotificationSettings } from './account/NotificationSettings';

export function AccountScreen({ me }: { me: Me }) {
  const { t } = useTranslation('manage');
  const { api } = useServices();
  const signOut = useAction(() => api.logout());
  return (
    <div className="space-y-6">
      <PageTitle aside={me.user.email ? <span translate="no">{me.user.email}</span> : undefined}>
        {t('account.title')}
      </PageTitle>
      <ProfileForm me={me} />
      {me.user.sign_in === 'password' ? (
        <PasswordForm />
      ) : (
        <Card>
          <SectionTitle>{t('account.password.title')}</SectionTitle>
          <p className="text-sm">{t('account.password.sso')}</p>
        </Card>
      )}
      <NotificationSettings />
      <CalendarFeedCard />
      <SessionsList zone={me.building.timezone} />
      <AppearanceForm />
      <Card>
        <SectionTitle>{t('account.signOut.title')}</SectionTitle>
        <p className="mb-3 text-sm">{t('account.signOut.body')}</p>
        <Button variant="secondary" pending={signOut.pending} onClick={() => void signOut.run()}>
          {t('account.signOut.submit')}
        </Button>
      </Card>
    </div>
  );
}

function ProfileForm({ me }: { me: Me }) {
  const { t } = useTranslation('manage');
  const { api, cache } = useServices();
  const toast = useToast();
  const [name, setName] = useState(me.user.display_name);
  const save = useAction(async (displayName: string) => {
    const undo = cache.patch<Me>(
      (k) => k === keys.me,
      (m) => ({ ...m, user: { ...m.user, display_name: displayName } }),
    );
    try {
      await api.updateProfile(displayName);
      cache.invalidatePrefix(keys.me, 'spots:');
    } catch (error) {
      undo();
      throw error;
    }
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.run(name.trim()).then(
      () => toast.success(t('account.profile.saved')),
      () => {},
    );
  };
  return (
    <Card>
      <SectionTitle>{t('account.profile.title')}</SectionTitle>
      <form onSubmit={submit} className="space-y-3">
        <TextField
          label={t('account.profile.label')}
          required
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.target.value)}
          hint={t('account.profile.hint')}
        />
        <ErrorNotice error={save.error} />
        <Button
          type="submit"
          pending={save.pending}
          disabled={!name.trim() || name.trim() === me.user.display_name}
        >
          {t('account.profile.submit')}
        </Button>
      </form>
    </Card>
  );
}

function PasswordForm() {
  const { t } = useTranslation('manage');
  const { api, cache } = useServices();
  const toast = useToast();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const change = useAction(() => api.changePassword(current, next));
  const mismatch = repeat.length > 0 && repeat !== next;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (next.length < 10 || mismatch) return;
    change.run().then(
      () => {
        setCurrent('');
        setNext('');
        setRepeat('');
        cache.invalidatePrefix(keys.sessions);
        toast.success(t('account.password.changed'));
      },
      () => {},
    );
  };
  return (
    <Card>
      <SectionTitle>{t('account.password.title')}</SectionTitle>
      <form onSubmit={submit} className="space-y-3">
        <TextField
          label={t('account.password.current')}
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
        />
        <TextField
          label={t('account.password.new')}
          type="password"
          autoComplete="new-password"
          required
          value={next}
          onChange={(e) => setNext(e.target.value)}
          hint={t('account.password.newHint')}
        />
        <TextField
          label={t('account.password.repeat')}
          type="password"
          autoComplete="new-password"
          required
          value={repeat}
          onChange={(e) => setRepeat(e.target.value)}
          aria-invalid={mismatch || undefined}
          hint={mismatch ? t('account.password.differ') : undefined}
        />
        <ErrorNotice
          error={change.error}
          overrides={{ invalid_credentials: t('account.password.wrong') }}
        />
        <Button
          type="submit"
          pending={change.pending}
          disabled={!current || next.length < 10 || repeat !== next}
        >
          {t('account.password.submit')}
        </Button>
      </form>
    </Card>
  );
}

/** "Firefox on Linux" from a user agent, roughly; the raw string is kept as a tooltip. */
export function describeAgent(agent: string | null): string {
  if (!agent) return i18next.t('manage:account.sessions.unknown');
  const browser = /Edg\//.test(agent)
    ? 'Edge'
    : /Firefox\//.test(agent)
      ? 'Firefox'
      : /Chrome\//.test(agent)
        ? 'Chrome'
        : /Safari\//.test(agent)
          ? 'Safari'
          : /curl\//.test(agent)
            ? 'curl'
            : i18next.t('manage:account.sessions.browser');
  const system = /Android/.test(agent)
    ? 'Android'
    : /iPhone|iPad/.test(agent)
      ? 'iOS'
      : /Windows/.test(agent)
        ? 'Windows'
        : /Mac OS X/.test(agent)
          ? 'macOS'
          : /Linux/.test(agent)
            ? 'Linux'
            : '';
  return system ? i18next.t('manage:account.sessions.on', { browser, system }) : browser;
}

function SessionsList({ zone }: { zone: string }) {
  const { t } = useTranslation('manage');
  const { api, cache } = useServices();
  const toast = useToast();
  const sessions = useQuery(keys.sessions, async () => (await api.sessions()).sessions, {
    onMount: 'refetch',
  });
  const revoke = useAction(async (id: string, current: boolean) => {
    await api.revokeSession(id);
    if (current) await api.logout();
    else cache.invalidatePrefix(keys.sessions);
  });
  return (
    <Card>
      <SectionTitle>{t('account.sessions.title')}</SectionTitle>
      {sessions.error !== undefined && sessions.error !== null && (
        <ErrorNotice error={sessions.error} onRetry={sessions.refetch} />
      )}
      {!sessions.data && !sessions.error && <Loading />}
      <ErrorNotice error={revoke.error} />
      <ul className="divide-y divide-slate-200 dark:divide-slate-800">
        {sessions.data?.map((s) => (
          <li key={s.id} className="flex flex-wrap items-center justify-between gap-2 py-3 text-sm">
            <span title={s.user_agent ?? undefined}>
              <span className="font-medium">{describeAgent(s.user_agent)}</span>
              {s.current && (
                <span className="ml-2 rounded-full bg-green-100 px-2 py-0.5 text-xs font-semibold text-green-900 dark:bg-green-950 dark:text-green-200">
                  {t('account.sessions.thisDevice')}
                </span>
              )}
              <span className="block text-slate-600 dark:text-slate-400">
                {t('account.sessions.details', {
                  method:
                    s.method === 'sso'
                      ? t('account.sessions.building')
                      : t('account.sessions.password'),
                  since: formatDateTime(parseInstant(s.created_at), zone),
                  lastUsed: formatDateTime(parseInstant(s.last_used_at), zone),
                })}
                {s.address && (
                  <>
                    {' · '}
                    <span translate="no">{s.address}</span>
                  </>
                )}
              </span>
            </span>
            <Button
              variant="secondary"
              size="sm"
              disabled={revoke.pending}
              onClick={() =>
                revoke.run(s.id, s.current).then(
                  () => !s.current && toast.success(t('account.sessions.ended')),
                  () => {},
                )
              }
            >
              {s.current ? t('account.sessions.signOutHere') : t('account.sessions.end')}
            </Button>
          </li>
        ))}
      </ul>
    </Card>
  );
}

function AppearanceForm() {
  const { t } = useTranslation('manage');
  const { api, cache } = useServices();
  const { choice, setChoice } = useTheme();
  const options: { value: ThemeChoice; label: string }[] = [
    { value: 'system', label: t('account.appearance.system') },
    { value: 'light', label: t('account.appearance.light') },
    { value: 'dark', label: t('account.appearance.dark') },
  ];
  return (
    <Card>
      <fieldset>
        <legend className="mb-3 text-lg font-semibold">{t('account.appearance.title')}</legend>
        <div className="flex flex-wrap gap-4">
          {options.map((option) => (
            <label key={option.value} className="flex items-center gap-2 text-sm font-medium">
              <input
                type="radio"
                name="theme"
                className="h-5 w-5 accent-blue-700 dark:accent-sky-400"
                checked={choice === option.value}
                onChange={() => setChoice(option.value)}
              />
              {option.label}
            </label>
          ))}
        </div>
      </fieldset>
      <LanguagePicker
        className="mt-4"
        onChosen={(locale) => {
          // Saved for the next device and for mail (the email settings show it once saved);
          // the switch here has happened already.
          api
            .setNotificationPreferences({ locale })
            .then(() => cache.invalidatePrefix(keys.notificationPreferences))
            .catch(() => {});
        }}
      />
    </Card>
  );
}
