import { useState, type FormEvent } from 'react';
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
  return (
    <li className="space-y-2 rounded-lg border border-slate-200 p-3 dark:border-slate-700">
      <p className="text-sm">
        {invite.email ? (
          <span className="font-semibold">{invite.email}</span>
        ) : (
          'Anyone with the code'
        )}{' '}
        · {invite.role} · expires {formatDateTime(parseInstant(invite.expires_at), zone)}
      </p>
      <CopyField label="Invite link" value={joinLink(invite.invite_code)} />
      <CopyField label="Invite code" value={invite.invite_code} />
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
      <SectionTitle>Invite one person</SectionTitle>
      <p className="mb-3 text-sm text-slate-700 dark:text-slate-300">
        The code is shown once; it works for 7 days. Naming an address makes it work for that
        address only.
      </p>
      <form onSubmit={submit} className="grid gap-3 sm:grid-cols-[1fr_10rem_auto] sm:items-end">
        <TextField
          label="Email (optional)"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          aria-invalid={bad || undefined}
        />
        <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <option value="resident">Resident</option>
          <option value="admin">Admin</option>
        </SelectField>
        <Button type="submit" pending={create.pending} disabled={bad}>
          Create invite
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
  const { api } = useServices();
  const [text, setText] = useState('');
  const [role, setRole] = useState<Role>('resident');
  const [made, setMade] = useState<Invite[]>([]);
  const { valid, invalid } = parseEmails(text);
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
      <SectionTitle>Invite many at once</SectionTitle>
      <form onSubmit={submit} className="space-y-3">
        <TextArea
          label="Email addresses"
          rows={4}
          value={text}
          onChange={(e) => setText(e.target.value)}
          hint={`One a line, up to 200. ${valid.length} valid${invalid.length ? `; not addresses: ${invalid.join(', ')}` : ''}. All are created or none.`}
        />
        <div className="flex flex-wrap items-end gap-3">
          <SelectField
            label="Role for all"
            value={role}
            onChange={(e) => setRole(e.target.value as Role)}
            className="w-40"
          >
            <option value="resident">Resident</option>
            <option value="admin">Admin</option>
          </SelectField>
          <Button
            type="submit"
            pending={create.pending}
            disabled={valid.length === 0 || valid.length > 200 || invalid.length > 0}
          >
            {valid.length ? `Create ${valid.length} invites` : 'Create the invites'}
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
