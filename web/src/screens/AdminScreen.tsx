// The admin's work, one section at a time (#/admin/<section>): residents, invites, credits,
// policy, usage, CSV exports, audit log, single sign-on. The server decides who is an admin;
// this screen is only offered to them.

import type { Me } from '../api/types';
import { href } from '../lib/router';
import { PageTitle } from '../components/ui';
import { AuditPanel } from './admin/AuditPanel';
import { CreditsPanel } from './admin/CreditsPanel';
import { ExportPanel } from './admin/ExportPanel';
import { InvitesPanel } from './admin/InvitesPanel';
import { MapPanel } from './admin/MapPanel';
import { PolicyPanel } from './admin/PolicyPanel';
import { ResidentsPanel } from './admin/ResidentsPanel';
import { SsoPanel } from './admin/SsoPanel';
import { UsagePanel } from './admin/UsagePanel';

const SECTIONS = [
  { id: 'residents', title: 'Residents' },
  { id: 'invites', title: 'Invites' },
  { id: 'credits', title: 'Adjust credits' },
  { id: 'policy', title: 'Policy' },
  { id: 'usage', title: 'Usage' },
  { id: 'export', title: 'Export' },
  { id: 'audit', title: 'Audit log' },
  { id: 'sso', title: 'Single sign-on' },
  { id: 'map', title: 'Map' },
] as const;

type SectionId = (typeof SECTIONS)[number]['id'];

function Section({ id, me }: { id: SectionId; me: Me }) {
  switch (id) {
    case 'invites':
      return <InvitesPanel me={me} />;
    case 'credits':
      return <CreditsPanel me={me} />;
    case 'policy':
      return <PolicyPanel me={me} />;
    case 'usage':
      return <UsagePanel me={me} />;
    case 'export':
      return <ExportPanel me={me} />;
    case 'audit':
      return <AuditPanel me={me} />;
    case 'sso':
      return <SsoPanel me={me} />;
    case 'map':
      return <MapPanel />;
    default:
      return <ResidentsPanel me={me} />;
  }
}

export function AdminScreen({ me, section }: { me: Me; section: string }) {
  const active: SectionId = SECTIONS.find((s) => s.id === section)?.id ?? 'residents';
  return (
    <div>
      <PageTitle aside={me.building.name}>Admin</PageTitle>
      <nav aria-label="Admin sections" className="-mx-3 mb-5 overflow-x-auto px-3">
        <ul className="flex gap-1 whitespace-nowrap border-b border-slate-200 dark:border-slate-800">
          {SECTIONS.map((s) => (
            <li key={s.id}>
              <a
                href={href(`admin/${s.id}`)}
                aria-current={s.id === active ? 'page' : undefined}
                className={`-mb-px inline-block border-b-2 px-3 py-2 text-sm font-medium ${
                  s.id === active
                    ? 'border-blue-700 text-blue-800 dark:border-sky-400 dark:text-sky-300'
                    : 'border-transparent text-slate-700 hover:text-slate-950 dark:text-slate-300 dark:hover:text-white'
                }`}
              >
                {s.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <Section id={active} me={me} />
    </div>
  );
}
