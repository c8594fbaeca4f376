// The JSON the functions answer, under the names the app uses: the components of the OpenAPI
// document (web/openapi.json, written by `parkshare openapi` from shared/parkshare/answers.py),
// which openapi-typescript turns into ./openapi.d.ts (`npm run api`). `just lint` fails when
// either has drifted from what the functions declare. Times are RFC 3339 strings in UTC.

import type { components } from './openapi';

type Schemas = components['schemas'];

export type SpotStatus = Schemas['SpotStatus'];
export type Role = Schemas['Role'];
export type SignIn = Schemas['SignIn'];
export type ReservationStatus = Schemas['ReservationStatus'];

export type Tokens = Schemas['Tokens'];
export type Window = Schemas['Window'];
export type Person = Schemas['Person'];
export type Spot = Schemas['Spot'];
export type SpotView = Schemas['SpotView'];
export type Reservation = Schemas['Reservation'];
export type SpotRequest = Schemas['SpotRequest'];
export type SpotRequests = Schemas['SpotRequests'];
export type Policy = Schemas['Policy'];
export type Building = Schemas['Building'];
export type User = Schemas['User'];
export type LedgerEntry = Schemas['LedgerEntry'];
export type Me = Schemas['Me'];
export type Session = Schemas['Session'];
export type SignupUser = Schemas['SignupUser'];

export type Resident = Schemas['Resident'];
// As one invite is answered (no `email` when any address may use it) or one of many.
export type Invite = Schemas['Invite'] | Schemas['InviteOfMany'];
export type DisableSummary = Schemas['DisableSummary'];
export type CreditAdjustment = Schemas['CreditAdjustment'];
export type AccountRef = Schemas['AccountRef'];
export type AdminLedgerEntry = Schemas['AdminLedgerEntry'];
export type AuditEntry = Schemas['AuditEntry'];
export type SsoSettings = Schemas['SsoSettings'];
export type Utilization = Schemas['Utilization'];
export type Pattern = Schemas['Pattern'];
export type PatternStatus = Schemas['PatternStatus'];
export type Notification = Schemas['Notification'];
export type NotificationKind = Schemas['NotificationKind'];
export type Locale = Schemas['Locale'];
export type NotificationPreferences = Schemas['NotificationPreferences'];
export type CalendarLink = Schemas['CalendarLink'];
export type Board = Schemas['Board'];
export type BoardSpot = Schemas['BoardSpot'];
export type Display = Schemas['Display'];
export type DisplayCreated = Schemas['DisplayCreated'];

// Whole answers of the routes that wrap their lists.
export type Garage = Schemas['Garage'];
export type GarageMap = Schemas['GarageMap'];
export type MapLevel = Schemas['MapLevel'];
export type SpotPosition = Schemas['SpotPosition'];
export type SpotAvailability = Schemas['SpotAvailability'];
export type ProfileChanged = Schemas['ProfileChanged'];
export type SignedUp = Schemas['SignedUp'];
export type Sessions = Schemas['Sessions'];
export type Residents = Schemas['Residents'];
export type Invites = Schemas['Invites'];
export type AdminLedger = Schemas['AdminLedger'];
export type AuditLog = Schemas['AuditLog'];
export type SsoState = Schemas['SsoState'];
export type Patterns = Schemas['Patterns'];
export type RecurringSummaries = Schemas['RecurringSummaries'];
export type Notifications = Schemas['Notifications'];
export type Displays = Schemas['Displays'];
