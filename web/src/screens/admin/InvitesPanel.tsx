import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Invite, Me, Role } from '../../api/types';
import { useServices } from '../../app/services';
import { CopyField } from '../../components/CopyField';
import {
  Button,
  Card,
  ErrorNotice,
  SectionTitle,
  SelectField,
  TextArea,
  TextField,
} from '../../components/ui';
import { useAction } from '../../hooks/useAction';
import { formatDateTime, parseInstant } from '../../lib/time';

/** The link a new resident opens to sign up with their code. */
export function joinLink(code: string): string {
  const { origin, pathname } = window.location;
  return `${origin}${pathname}#/join?code=${encodeURIComponent(code)}`;
}

const EMAIL = /^[^@\s]+@[^@\s]+$/;

/** One address a line (commas and semicolons work too), duplicates dropped, order kept. */
export function parseEmails(text: string): { valid: string[]; invalid: string[] } {
  const items = text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const valid: string[] = [];
  const invalid: string[] = [];
  for (const item of items) {
    const target = EMAIL.test(item) ? valid : invalid;
    if (!target.some((x) => x.toLowerCase() === item.toLowerCase())) target.push(item);
  }
  return { valid, invalid };
}

function InviteResult({ invite, zone }: { invite: Invite; zone: string }) {
  const { t } = useTranslation('admin');
  return (
    <li className="space-y-2 rounded-lg border border-slate-200 p-3 dark:border-slate-700">
      <p className="text-sm">
        {invite.email ? (
          <span translate="no" className="font-semibold">
            {invite.email}
          </span>
        ) : (
          t('invites.anyone')
        )}{' '}
        · {t(`invites.roleInline.${invite.role}`)} ·{' '}
        {t('invites.expires', { when: formatDateTime(parseInstant(invite.expires_at), zone) })}
      </p>
      <CopyField label={t('invites.link')} value={joinLink(invite.invite_code)} />
      <CopyField label={t('invites.code')} value={invite.invite_code} />
    </li>
  );
}

export function InvitesPanel({ me }: { me: Me }) {
  const zone = me.building.timezone;
  return (
    <div className="space-y-6">
      <SingleInvite zone={zone} />
      <BulkInvites zone={zone} />
    </div>
  );
}

function SingleInvite({ zone }: { zone: string }) {
  const { t } = useTranslation('admin');
  const { api } = useServices();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('resident');
  const [made, setMade] = useState<Invite[]>([]);
  const create = useAction(() => api.createInvite({ role, email: email.trim() || undefined }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.run().then(
      (invite) => {
        setMade((all) => [invite, ...all]);
        setEmail('');
      },
      () => {},
    );
  };
  const bad = email.trim() !== '' && !EMAIL.test(email.trim());
  return (
    <Card>
      <SectionTitle>{t('invites.single.title')}</SectionTitle>
      <p className="mb-3 text-sm text-slate-700 dark:text-slate-300">{t('invites.single.intro')}</p>
      <form onSubmit={submit} className="grid gap-3 sm:grid-cols-[1fr_10rem_auto] sm:items-end">
        <TextField
          label={t('invites.single.email')}
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          aria-invalid={bad || undefined}
        />
        <SelectField
          label={t('invites.single.role')}
          value={role}
          onChange={(e) => setRole(e.target.value as Role)}
        >
          <option value="resident">{t('roles.resident')}</option>
          <option value="admin">{t('roles.admin')}</option>
        </SelectField>
        <Button type="submit" pending={create.pending} disabled={bad}>
          {t('invites.single.create')}
        </Button>
      </form>
      <div className="mt-3">
        <ErrorNotice error={create.error} />
      </div>
      {made.length > 0 && (
        <ul className="mt-3 space-y-3">
          {made.map((i) => (
            <InviteResult key={i.invite_code} invite={i} zone={zone} />
          ))}
        </ul>
      )}
    </Card>
  );
}

function BulkInvites({ zone }: { zone: string }) {
  const { t } = useTranslation('admin');
  const { api } = useServices();
  const [text, setText] = useState('');
  const [role, setRole] = useState<Role>('resident');
  const [made, setMade] = useState<Invite[]>([]);
  const { valid, invalid } = parseEmails(text);
  const validCount = t('invites.bulk.valid', { count: valid.length });
  const status = invalid.length
    ? t('invites.bulk.validAndInvalid', { valid: validCount, invalid: invalid.join(', ') })
    : validCount;
  const create = useAction(() => api.createInvites(valid.map((email) => ({ email, role }))));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.run().then(
      (answer) => {
        setMade(answer.invites);
        setText('');
      },
      () => {},
    );
  };
  return (
    <Card>
      <SectionTitle>{t('invites.bulk.title')}</SectionTitle>
      <form onSubmit={submit} className="space-y-3">
        <TextArea
          label={t('invites.bulk.emails')}
          rows={4}
          value={text}
          onChange={(e) => setText(e.target.value)}
          hint={t('invites.bulk.hint', { status })}
        />
        <div className="flex flex-wrap items-end gap-3">
          <SelectField
            label={t('invites.bulk.role')}
            value={role}
            onChange={(e) => setRole(e.target.value as Role)}
            className="w-40"
          >
            <option value="resident">{t('roles.resident')}</option>
            <option value="admin">{t('roles.admin')}</option>
          </SelectField>
          <Button
            type="submit"
            pending={create.pending}
            disabled={valid.length === 0 || valid.length > 200 || invalid.length > 0}
          >
            {valid.length
              ? t('invites.bulk.create', { count: valid.length })
              : t('invites.bulk.createNone')}
          </Button>
        </div>
        <ErrorNotice error={create.error} />
      </form>
      {made.length > 0 && (
        <ul className="mt-3 space-y-3">
          {made.map((i) => (
            <InviteResult key={i.invite_code} invite={i} zone={zone} />
          ))}
        </ul>
      )}
    </Card>
  );
}
