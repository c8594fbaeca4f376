// The resident's own account: name, password, notifications, the calendar feed, where they
// are signed in, appearance.

import { LanguagePicker } from '../components/LanguagePicker';
import { useState, type FormEvent } from 'react';
import type { Me } from '../api/types';
import { useServices } from '../app/services';
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
  const { api } = useServices();
  const signOut = useAction(() => api.logout());
  return (
    <div className="space-y-6">
      <PageTitle aside={me.user.email ?? undefined}>Account</PageTitle>
      <ProfileForm me={me} />
      {me.user.sign_in === 'password' ? (
        <PasswordForm />
      ) : (
        <Card>
          <SectionTitle>Password</SectionTitle>
          <p className="text-sm">
            You sign in with your building’s account, so there is no parkshare password to change.
          </p>
        </Card>
      )}
      <NotificationSettings />
      <CalendarFeedCard />
      <SessionsList zone={me.building.timezone} />
      <AppearanceForm />
      <Card>
        <SectionTitle>Sign out</SectionTitle>
        <p className="mb-3 text-sm">Signs out on this device. Your bookings stay.</p>
        <Button variant="secondary" pending={signOut.pending} onClick={() => void signOut.run()}>
          Sign out
        </Button>
      </Card>
    </div>
  );
}

function ProfileForm({ me }: { me: Me }) {
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
      () => toast.success('Your name is saved. Neighbours see it on your spots.'),
      () => {},
    );
  };
  return (
    <Card>
      <SectionTitle>Your name</SectionTitle>
      <form onSubmit={submit} className="space-y-3">
        <TextField
          label="Display name"
          required
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.target.value)}
          hint="Shown to neighbours on the spots you share."
        />
        <ErrorNotice error={save.error} />
        <Button
          type="submit"
          pending={save.pending}
          disabled={!name.trim() || name.trim() === me.user.display_name}
        >
          Save name
        </Button>
      </form>
    </Card>
  );
}

function PasswordForm() {
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
        toast.success('Password changed. You were signed out everywhere else.');
      },
      () => {},
    );
  };
  return (
    <Card>
      <SectionTitle>Password</SectionTitle>
      <form onSubmit={submit} className="space-y-3">
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
        />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          value={next}
          onChange={(e) => setNext(e.target.value)}
          hint="At least 10 characters. Other devices are signed out."
        />
        <TextField
          label="Repeat the new password"
          type="password"
          autoComplete="new-password"
          required
          value={repeat}
          onChange={(e) => setRepeat(e.target.value)}
          aria-invalid={mismatch || undefined}
          hint={mismatch ? 'The two new passwords differ.' : undefined}
        />
        <ErrorNotice
          error={change.error}
          overrides={{ invalid_credentials: 'The current password is wrong.' }}
        />
        <Button
          type="submit"
          pending={change.pending}
          disabled={!current || next.length < 10 || repeat !== next}
        >
          Change password
        </Button>
      </form>
    </Card>
  );
}

/** "Firefox on Linux" from a user agent, roughly; the raw string is kept as a tooltip. */
export function describeAgent(agent: string | null): string {
  if (!agent) return 'Unknown device';
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
            : 'Browser';
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
  return system ? `${browser} on ${system}` : browser;
}

function SessionsList({ zone }: { zone: string }) {
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
      <SectionTitle>Where you are signed in</SectionTitle>
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
                  This device
                </span>
              )}
              <span className="block text-slate-600 dark:text-slate-400">
                {s.method === 'sso' ? 'Building account' : 'Password'} · since{' '}
                {formatDateTime(parseInstant(s.created_at), zone)} · last used{' '}
                {formatDateTime(parseInstant(s.last_used_at), zone)}
                {s.address ? ` · ${s.address}` : ''}
              </span>
            </span>
            <Button
              variant="secondary"
              size="sm"
              disabled={revoke.pending}
              onClick={() =>
                revoke.run(s.id, s.current).then(
                  () => !s.current && toast.success('That session has ended.'),
                  () => {},
                )
              }
            >
              {s.current ? 'Sign out here' : 'End session'}
            </Button>
          </li>
        ))}
      </ul>
    </Card>
  );
}

function AppearanceForm() {
  const { api } = useServices();
  const { choice, setChoice } = useTheme();
  const options: { value: ThemeChoice; label: string }[] = [
    { value: 'system', label: 'Same as this device' },
    { value: 'light', label: 'Light' },
    { value: 'dark', label: 'Dark' },
  ];
  return (
    <Card>
      <fieldset>
        <legend className="mb-3 text-lg font-semibold">Appearance</legend>
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
          // Saved for the next device and for mail; the switch here has happened already.
          void api.setNotificationPreferences({ locale }).catch(() => {});
        }}
      />
    </Card>
  );
}
