// The admin's work, one section at a time (#/admin/<section>): residents, invites, credits,
// policy, usage, CSV exports, audit log, single sign-on, lobby displays. The server decides
// who is an admin; this screen is only offered to them.

import { useTranslation } from 'react-i18next';
import type { Me } from '../api/types';
import { href } from '../lib/router';
import { PageTitle } from '../components/ui';
import { AuditPanel } from './admin/AuditPanel';
import { CreditsPanel } from './admin/CreditsPanel';
import { ExportPanel } from './admin/ExportPanel';
import { DisplaysPanel } from './admin/DisplaysPanel';
import { InvitesPanel } from './admin/InvitesPanel';
import { MapPanel } from './admin/MapPanel';
import { PolicyPanel } from './admin/PolicyPanel';
import { ResidentsPanel } from './admin/ResidentsPanel';
import { SsoPanel } from './admin/SsoPanel';
import { UsagePanel } from './admin/UsagePanel';

// Each section's title is `sections.<id>` in the admin namespace.
const SECTIONS = [
  'residents',
  'invites',
  'credits',
  'policy',
  'usage',
  'export',
  'audit',
  'sso',
  'displays',
  'map',
] as const;

type SectionId = (typeof SECTIONS)[number];

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
    case 'displays':
      return <DisplaysPanel me={me} />;
    case 'map':
      return <MapPanel />;
    default:
      return <ResidentsPanel me={me} />;
  }
}

export function AdminScreen({ me, section }: { me: Me; section: string }) {
  const { t } = useTranslation('admin');
  const active: SectionId = SECTIONS.find((s) => s === section) ?? 'residents';
  return (
    <div>
      <PageTitle aside={<span translate="no">{me.building.name}</span>}>{t('title')}</PageTitle>
      <nav aria-label={t('sectionsLabel')} className="-mx-3 mb-5 overflow-x-auto px-3">
        <ul className="flex gap-1 whitespace-nowrap border-b border-slate-200 dark:border-slate-800">
          {SECTIONS.map((s) => (
            <li key={s}>
              <a
                href={href(`admin/${s}`)}
                aria-current={s === active ? 'page' : undefined}
                className={`-mb-px inline-block border-b-2 px-3 py-2 text-sm font-medium ${
                  s === active
                    ? 'border-blue-700 text-blue-800 dark:border-sky-400 dark:text-sky-300'
                    : 'border-transparent text-slate-700 hover:text-slate-950 dark:text-slate-300 dark:hover:text-white'
                }`}
              >
                {t(`sections.${s}`)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <Section id={active} me={me} />
    </div>
  );
}
