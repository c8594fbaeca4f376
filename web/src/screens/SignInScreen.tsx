import { LanguagePicker } from '../components/LanguagePicker';
import { useState, type FormEvent } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { useServices } from '../app/services';
import { ThemeToggle } from '../components/ThemeToggle';
import { Button, ErrorNotice, TextField, buttonClass } from '../components/ui';
import { useAction } from '../hooks/useAction';
import type { useTheme } from '../hooks/useTheme';
import { href } from '../lib/router';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BUILDING_KEY = 'parkshare.building';

/** The building whose single sign-on to offer: from the link an admin shares, remembered. */
function ssoBuilding(): string | null {
  const given = new URLSearchParams(window.location.search).get('building');
  try {
    if (given && UUID.test(given)) {
      localStorage.setItem(BUILDING_KEY, given);
      return given;
    }
    const remembered = localStorage.getItem(BUILDING_KEY);
    return remembered && UUID.test(remembered) ? remembered : null;
  } catch {
    return given && UUID.test(given) ? given : null;
  }
}

/** The demo's residents; `spots` the two each owns (the admin owns none and says so). */
const DEMO_PEOPLE: { name: string; email: string; spots?: [string, string]; admin?: true }[] = [
  { name: 'Alice', email: 'alice@demo.parkshare.test', spots: ['B1-01', 'B1-02'] },
  { name: 'Bob', email: 'bob@demo.parkshare.test', spots: ['B1-03', 'B1-04'] },
  { name: 'Carol', email: 'carol@demo.parkshare.test', spots: ['B1-05', 'B1-06'] },
  { name: 'Dave', email: 'dave@demo.parkshare.test' },
  { name: 'Admin', email: 'admin@demo.parkshare.test', admin: true },
];
const DEMO_PASSWORD = 'parkshare-demo';

export function AuthFrame({
  theme,
  children,
}: {
  theme: ReturnType<typeof useTheme>;
  children: React.ReactNode;
}) {
  return (
    <div className="min-h-dvh px-4 py-6">
      <header className="mx-auto flex max-w-md items-center justify-between">
        <p className="flex items-center gap-2 text-lg font-bold" translate="no">
          <span
            aria-hidden="true"
            className="grid h-9 w-9 place-items-center rounded-lg bg-blue-700 text-white dark:bg-sky-400 dark:text-slate-950"
          >
            P
          </span>
          parkshare
        </p>
        <div className="flex items-center gap-2">
          <LanguagePicker />
          <ThemeToggle theme={theme.theme} onToggle={theme.toggle} />
        </div>
      </header>
      <main className="mx-auto mt-6 max-w-md">{children}</main>
    </div>
  );
}

export function SignInScreen({
  theme,
  notice,
}: {
  theme: ReturnType<typeof useTheme>;
  notice: string | null;
}) {
  const { t } = useTranslation('manage');
  const { api, config } = useServices();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const building = ssoBuilding();
  const login = useAction((e: string, p: string) => api.login(e, p));

  const [missing, setMissing] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setMissing(!email.trim() || !password);
    if (!email.trim() || !password) return;
    login.run(email.trim(), password).catch(() => {
      // Shown by <ErrorNotice> below.
    });
  };
  const tryAs = (demoEmail: string) => {
    setEmail(demoEmail);
    setPassword(DEMO_PASSWORD);
    login.run(demoEmail, DEMO_PASSWORD).catch(() => {});
  };

  return (
    <AuthFrame theme={theme}>
      <div className="rounded-2xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <h1 className="text-2xl font-bold">{t('signIn.title')}</h1>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">{t('signIn.tagline')}</p>
        {notice && (
          <div
            role="alert"
            className="mt-4 rounded-lg border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
          >
            {notice}
          </div>
        )}
        {building && (
          <div className="mt-5">
            <a
              href={api.ssoStartUrl(building)}
              className={`${buttonClass('secondary', 'lg')} w-full`}
            >
              {t('signIn.sso')}
            </a>
            <p className="my-4 flex items-center gap-3 text-xs uppercase tracking-wide text-slate-600 dark:text-slate-400">
              <span className="h-px flex-1 bg-slate-200 dark:bg-slate-700" />
              {t('signIn.orEmail')}
              <span className="h-px flex-1 bg-slate-200 dark:bg-slate-700" />
            </p>
          </div>
        )}
        <form onSubmit={submit} className="mt-5 space-y-4" noValidate>
          <TextField
            label={t('signIn.email')}
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <TextField
            label={t('signIn.password')}
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {missing && (!email.trim() || !password) && (
            <p role="alert" className="text-sm font-medium text-red-800 dark:text-red-300">
              {t('signIn.missing')}
            </p>
          )}
          <ErrorNotice error={login.error} />
          <Button type="submit" size="lg" className="w-full" pending={login.pending}>
            {t('signIn.submit')}
          </Button>
        </form>
        <p className="mt-5 text-sm text-slate-700 dark:text-slate-300">
          {t('signIn.newHere')}{' '}
          <a
            className="font-semibold text-blue-800 underline underline-offset-2 dark:text-sky-300"
            href={href('join')}
          >
            {t('signIn.join')}
          </a>
        </p>
      </div>
      {config.demo && (
        <section
          aria-labelledby="demo-title"
          className="mt-6 rounded-2xl border border-blue-200 bg-blue-50 p-5 text-sm text-blue-950 dark:border-sky-900 dark:bg-sky-950 dark:text-sky-100"
        >
          <h2 id="demo-title" className="font-semibold">
            {t('signIn.demo.title')}
          </h2>
          <p className="mt-1">
            <Trans
              t={t}
              i18nKey="signIn.demo.password"
              values={{ password: DEMO_PASSWORD }}
              components={{
                code: (
                  <code
                    translate="no"
                    className="whitespace-nowrap rounded bg-white/70 px-1 font-mono dark:bg-black/30"
                  />
                ),
              }}
            />
          </p>
          <ul className="mt-3 space-y-2">
            {DEMO_PEOPLE.map((person) => (
              <li key={person.email} className="flex items-center justify-between gap-2">
                <span className="min-w-0">
                  <span className="block truncate font-mono text-xs sm:text-sm" translate="no">
                    {person.email}
                  </span>
                  <span className="block text-xs opacity-90">
                    {person.spots
                      ? t('signIn.demo.owns', { first: person.spots[0], second: person.spots[1] })
                      : person.admin
                        ? t('signIn.demo.admin')
                        : t('signIn.demo.ownsNone')}
                  </span>
                </span>
                <Button
                  variant="secondary"
                  size="sm"
                  onClick={() => tryAs(person.email)}
                  disabled={login.pending}
                >
                  {t('signIn.demo.tryAs', { name: person.name })}
                </Button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </AuthFrame>
  );
}
