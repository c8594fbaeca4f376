// The JSON the functions answer, as the contract and the SQL views (spot_views, me_view,
// admin_*) shape it. Times are RFC 3339 strings in UTC.

export type SpotStatus = 'free' | 'reserved' | 'unavailable';
export type Role = 'resident' | 'admin';

export interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
}

export interface Window {
  start: string;
  end: string;
}

export interface Person {
  id: string;
  display_name: string;
}

export interface Spot {
  id: string;
  label: string;
  location: string | null;
  notes: string | null;
  owner: Person;
}

export interface SpotView extends Spot {
  status_now: SpotStatus;
  free_for_window: boolean;
  next_change_at: string | null;
  availability: Window[];
  reservations: (Window & { mine: boolean })[];
}

export type ReservationStatus = 'booked' | 'cancelled' | 'settled';

export interface Reservation {
  id: string;
  spot_id: string;
  user_id: string;
  start: string;
  end: string;
  status: ReservationStatus;
  cost: number;
}

export interface Policy {
  cost: number;
  starting_credits: number;
  max_hours: number;
  horizon_days: number;
}

export interface Building {
  id: string;
  name: string;
  timezone: string;
  policy: Policy;
}

export interface User {
  id: string;
  email: string | null;
  display_name: string;
  role: Role;
  building_id: string;
  sign_in: 'password' | 'sso';
}

export interface LedgerEntry {
  id: number;
  at: string;
  kind: 'grant' | 'hold' | 'refund' | 'payout' | 'adjustment' | string;
  /** Signed from the resident's side: positive credits arrived, negative left. */
  amount: number;
  reason: string | null;
  reservation_id: string | null;
}

export interface Me {
  user: User;
  building: Building;
  credits: number;
  spots: Spot[];
  reservations: { upcoming: Reservation[]; past: Reservation[] };
  ledger: LedgerEntry[];
}

export interface Session {
  id: string;
  method: 'password' | 'sso' | string;
  user_agent: string | null;
  address: string | null;
  created_at: string;
  last_used_at: string;
  current: boolean;
}

export interface Resident {
  id: string;
  email: string | null;
  display_name: string;
  role: Role;
  active: boolean;
  disabled_at: string | null;
  sign_in: 'password' | 'sso';
  credits: number;
  spots: number;
  upcoming_reservations: number;
  created_at: string;
}

export interface Invite {
  invite_code: string;
  role: Role;
  email?: string | null;
  expires_at: string;
}

export interface DisableSummary {
  user_id: string;
  cancelled: number;
  spots_withdrawn: number;
  sessions_ended: number;
}

export interface CreditAdjustment {
  id: number;
  user_id: string;
  amount: number;
  reason: string;
  at: string;
}

export interface AccountRef {
  account: 'user' | 'escrow' | 'issuance' | string;
  user: Person | null;
}

export interface AdminLedgerEntry {
  id: number;
  at: string;
  kind: string;
  amount: number;
  from: AccountRef;
  to: AccountRef;
  reason: string | null;
  reservation_id: string | null;
  created_by: Person | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  action: string;
  actor: Person | null;
  subject: Person | null;
  address: string | null;
  detail: Record<string, unknown> | null;
}

export interface SsoSettings {
  issuer: string;
  client_id: string;
  has_client_secret: boolean;
  email_domain: string | null;
  required_group: string | null;
  updated_at: string;
}

export interface Utilization {
  start: string;
  end: string;
  timezone: string;
  days: { date: string; available_hours: number; booked_hours: number }[];
  spots: { spot_id: string; label: string; available_hours: number; booked_hours: number }[];
}

export interface SignupUser {
  id: string;
  email: string;
  display_name: string;
  role: Role;
  building_id: string;
}
