// Every catalogue, bundled (three languages of a small app: a few kilobytes each), so that
// a language switch is instant and works offline. scripts/i18n-check.mjs checks that every
// key of every namespace exists in every language with the same {{placeholders}}.
//
// Namespaces: `common` (the frame, shared controls, error messages), `garage` (the garage,
// spots, booking, reservations, credits, notifications), `manage` (sharing one's spots, the
// account, signing in and joining), `admin` (the admin screen: residents, invites, credits,
// policy, usage, exports, the audit log, single sign-on), `map` (the garage map and the
// admin's drawing of it).

import deAdmin from './locales/de/admin.json';
import deCommon from './locales/de/common.json';
import deGarage from './locales/de/garage.json';
import deManage from './locales/de/manage.json';
import deMap from './locales/de/map.json';
import enAdmin from './locales/en/admin.json';
import enCommon from './locales/en/common.json';
import enGarage from './locales/en/garage.json';
import enManage from './locales/en/manage.json';
import enMap from './locales/en/map.json';
import frAdmin from './locales/fr/admin.json';
import frCommon from './locales/fr/common.json';
import frGarage from './locales/fr/garage.json';
import frManage from './locales/fr/manage.json';
import frMap from './locales/fr/map.json';

export const NAMESPACES = ['common', 'garage', 'manage', 'admin', 'map'] as const;

export const catalogues = {
  en: { common: enCommon, garage: enGarage, manage: enManage, admin: enAdmin, map: enMap },
  fr: { common: frCommon, garage: frGarage, manage: frManage, admin: frAdmin, map: frMap },
  de: { common: deCommon, garage: deGarage, manage: deManage, admin: deAdmin, map: deMap },
};
