import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useServices } from '../app/services';
import { Button, ErrorNotice, TextField } from '../components/ui';
import { useAction } from '../hooks/useAction';
import type { useTheme } from '../hooks/useTheme';
import { href, useRoute } from '../lib/router';
import { AuthFrame } from './SignInScreen';

/** Sign-up with the invite code an admin handed out (#/join?code=… from their link). */
export function JoinScreen({ theme }: { theme: ReturnType<typeof useTheme> }) {
  const { t } = useTranslation('manage');
  const { api } = useServices();
  const route = useRoute();
  const [code, setCode] = useState(route.query.get('code') ?? '');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const join = useAction(async () => {
    await api.signup({
      invite_code: code.trim(),
      email: email.trim(),
      password,
      display_name: name.trim(),
    });
    await api.login(email.trim(), password);
  });
  const tooShort = password.length > 0 && password.length < 10;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    join.run().catch(() => {});
  };

  return (
    <AuthFrame theme={theme}>
      <div className="rounded-2xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <h1 className="text-2xl font-bold">{t('join.title')}</h1>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">{t('join.intro')}</p>
        <form onSubmit={submit} className="mt-5 space-y-4" noValidate>
          <TextField
            label={t('join.code')}
            required
            value={code}
            onChange={(e) => setCode(e.target.value)}
            autoComplete="off"
          />
          <TextField
            label={t('join.name')}
            hint={t('join.nameHint')}
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoComplete="name"
            maxLength={100}
          />
          <TextField
            label={t('join.email')}
            type="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            autoComplete="email"
          />
          <TextField
            label={t('join.password')}
            type="password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="new-password"
            hint={t('join.passwordHint')}
            aria-invalid={tooShort || undefined}
          />
          <ErrorNotice error={join.error} />
          <Button
            type="submit"
            size="lg"
            className="w-full"
            pending={join.pending}
            disabled={!code || !name || !email || password.length < 10}
          >
            {t('join.submit')}
          </Button>
        </form>
        <p className="mt-5 text-sm">
          {t('join.already')}{' '}
          <a
            className="font-semibold text-blue-800 underline underline-offset-2 dark:text-sky-300"
            href={href('signin')}
          >
            {t('join.signIn')}
          </a>
        </p>
      </div>
    </AuthFrame>
  );
}
