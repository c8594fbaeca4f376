// The one place that knows the function URLs: every request of the app is built here from
// config.json. Routes inside a function are relative to its URL (`${auth}/login`), as
// the gateway's /fn/<name> and a Knative service's own root both serve them.

import type { AppConfig, FunctionName } from '../config';
import { ApiError, networkError } from './problems';
import { AuthSession, readProblem, type FetchLike } from './session';
import type {
  AdminLedger,
  AuditLog,
  Board,
  CalendarLink,
  CreditAdjustment,
  DisableSummary,
  DisplayCreated,
  Displays,
  Garage,
  GarageMap,
  Invite,
  Invites,
  Me,
  NotificationPreferences,
  Notifications,
  Pattern,
  Patterns,
  Policy,
  ProfileChanged,
  RecurringSummaries,
  Reservation,
  Residents,
  Role,
  Sessions,
  SignedUp,
  Spot,
  SpotPosition,
  SpotRequest,
  SpotRequests,
  SpotAvailability,
  SsoState,
  Tokens,
  Utilization,
} from './types';

type Query = Record<string, string | number | boolean | null | undefined>;

export type ExportKind = 'reservations' | 'ledger' | 'utilization';

/** The file name of `Content-Disposition: attachment; filename="…"`, if it names one. */
export function attachmentName(disposition: string | null): string | null {
  const match = /filename="([^"]+)"/.exec(disposition ?? '');
  return match?.[1] ?? null;
}

/**
 * The lobby board, read with a display's token (`Authorization: Display <token>`): no
 * resident signs in on a lobby screen, so this call needs no session.
 */
export async function fetchBoard(
  config: AppConfig,
  token: string,
  fetchFn: FetchLike,
): Promise<Board> {
  let response: Response;
  try {
    response = await fetchFn(config.functions.board, {
      headers: { accept: 'application/json', authorization: `Display ${token}` },
    });
  } catch {
    throw networkError();
  }
  if (!response.ok) throw new ApiError(response.status, await readProblem(response));
  return (await response.json()) as Board;
}

interface CallOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: unknown;
  /** A file sent as it is (a level's plan), instead of a JSON body. */
  raw?: Blob;
  query?: Query;
  auth?: boolean;
  headers?: Record<string, string>;
}

export class Api {
  constructor(
    readonly config: AppConfig,
    readonly session: AuthSession,
    private readonly fetchFn: FetchLike,
  ) {}

  url(fn: FunctionName, path = '', query?: Query): string {
    const url = new URL(this.config.functions[fn] + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    return url.href;
  }

  private async send(url: string, options: CallOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.raw !== undefined)
      headers['content-type'] = options.raw.type || 'application/octet-stream';
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      return await this.fetchFn(url, {
        method: options.method ?? 'GET',
        headers,
        body:
          options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      });
    } catch {
      throw networkError();
    }
  }

  /** A call; with auth, a refused access token is refreshed and the call retried once. */
  async call<T>(fn: FunctionName, path: string, options: CallOptions = {}): Promise<T> {
    const response = await this.answer(fn, path, options);
    if (response.status === 204) return undefined as T;
    // The functions' answers follow the contract; types.ts mirrors it.
    return (await response.json()) as T;
  }

  /** A file a function answers (a CSV export), read whole into a Blob with the name its
   * Content-Disposition gives it. */
  async download(
    fn: FunctionName,
    path: string,
    query: Query,
  ): Promise<{ blob: Blob; filename: string | null }> {
    const response = await this.answer(fn, path, {
      query,
      headers: { accept: 'text/csv, application/problem+json' },
    });
    const filename = attachmentName(response.headers.get('content-disposition'));
    return { blob: await response.blob(), filename };
  }

  /** The successful response of a call, or its problem thrown as an ApiError. */
  private async answer(fn: FunctionName, path: string, options: CallOptions): Promise<Response> {
    const url = this.url(fn, path, options.query);
    const auth = options.auth ?? true;
    let token = auth ? await this.session.accessToken() : null;
    let response = await this.send(url, options, token);
    if (auth && response.status === 401) {
      const problem = await readProblem(response.clone());
      if (problem.code === 'invalid_token' || problem.code === 'unauthenticated') {
        // Refreshing fails (and signs out) when the session itself has ended.
        token = await this.session.refresh(token);
        response = await this.send(url, options, token);
      }
    }
    if (!response.ok) {
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new ApiError(
        response.status,
        await readProblem(response),
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
      );
    }
    return response;
  }

  // --- auth -------------------------------------------------------------------------------

  async login(email: string, password: string): Promise<void> {
    const tokens = await this.call<Tokens>('auth', '/login', {
      method: 'POST',
      auth: false,
      body: { email, password },
    });
    this.session.accept(tokens);
  }

  async ssoExchange(code: string): Promise<void> {
    const tokens = await this.call<Tokens>('auth', '/sso/exchange', {
      method: 'POST',
      auth: false,
      body: { code },
    });
    this.session.accept(tokens);
  }

  ssoStartUrl(buildingId: string): string {
    return this.url('auth', '/sso/start', { building: buildingId });
  }

  async logout(): Promise<void> {
    const refreshToken = this.session.refreshToken;
    this.session.clear();
    if (refreshToken) {
      await this.call<void>('auth', '/logout', {
        method: 'POST',
        auth: false,
        body: { refresh_token: refreshToken },
      }).catch(() => {
        // Signed out here either way; the server forgets the session when it expires.
      });
    }
  }

  signup(body: {
    invite_code: string;
    email: string;
    password: string;
    display_name: string;
  }): Promise<SignedUp> {
    return this.call('auth', '/signup', { method: 'POST', auth: false, body });
  }

  changePassword(current_password: string, new_password: string): Promise<void> {
    return this.call('auth', '/password', {
      method: 'POST',
      body: { current_password, new_password },
    });
  }

  sessions(): Promise<Sessions> {
    return this.call('auth', '/sessions');
  }

  revokeSession(session_id: string): Promise<void> {
    return this.call('auth', '/sessions/revoke', { method: 'POST', body: { session_id } });
  }

  // --- residents --------------------------------------------------------------------------

  me(): Promise<Me> {
    return this.call('me', '');
  }

  updateProfile(display_name: string): Promise<ProfileChanged> {
    return this.call('me', '', { method: 'PATCH', body: { display_name } });
  }

  listSpots(window: { start: string; end: string; availableOnly?: boolean }): Promise<Garage> {
    return this.call('list-spots', '', {
      query: {
        start: window.start,
        end: window.end,
        available_only: window.availableOnly ? 'true' : undefined,
      },
    });
  }

  reserve(
    body: { spot_id: string; start: string; end: string },
    idempotencyKey: string,
  ): Promise<Reservation> {
    return this.call('reserve', '', {
      method: 'POST',
      body,
      headers: { 'idempotency-key': idempotencyKey },
    });
  }

  cancel(reservation_id: string): Promise<Reservation> {
    return this.call('cancel', '', { method: 'POST', body: { reservation_id } });
  }

  checkin(reservation_id: string): Promise<Reservation> {
    return this.call('checkin', '', { method: 'POST', body: { reservation_id } });
  }

  /** Any spot for the window: `matched` (booked at once) or `waiting`. */
  requestSpot(body: { start: string; end: string }): Promise<SpotRequest> {
    return this.call('request', '', { method: 'POST', body });
  }

  myRequests(): Promise<SpotRequests> {
    return this.call('request', '');
  }

  withdrawRequest(request_id: string): Promise<SpotRequest> {
    return this.call('request', '/withdraw', { method: 'POST', body: { request_id } });
  }

  addSpot(body: { label: string; location?: string; notes?: string }): Promise<Spot> {
    return this.call('add-spot', '', { method: 'POST', body });
  }

  setAvailability(body: {
    spot_id: string;
    start: string;
    end: string;
    available: boolean;
    cancel_reservations?: boolean;
  }): Promise<SpotAvailability> {
    return this.call('set-availability', '', { method: 'POST', body });
  }

  // --- recurring sharing ------------------------------------------------------------------

  patterns(): Promise<Patterns> {
    return this.call('recurring', '');
  }

  createPattern(body: {
    spot_id: string;
    weekdays: number[];
    from: string;
    until: string;
    every_weeks?: number;
    starts_on?: string;
    ends_on?: string;
  }): Promise<Pattern> {
    return this.call('recurring', '', { method: 'POST', body });
  }

  pausePattern(body: {
    pattern_id: string;
    start_date: string;
    end_date: string;
    cancel_reservations?: boolean;
  }): Promise<Pattern> {
    return this.call('recurring', '/pause', { method: 'POST', body });
  }

  stopPattern(body: { pattern_id: string; cancel_reservations?: boolean }): Promise<Pattern> {
    return this.call('recurring', '/stop', { method: 'POST', body });
  }

  /** "Free weekdays 08:00–18:00" by spot id, for the spots that recur: a read of its own,
   * beside list-spots, so the garage view (the hot path) does not carry it. */
  async recurringSummaries(): Promise<Record<string, string>> {
    const answer = await this.call<RecurringSummaries>('recurring', '/summaries');
    return answer.summaries;
  }

  // --- notifications ----------------------------------------------------------------------

  notifications(query: { before?: number; limit?: number } = {}): Promise<Notifications> {
    return this.call('notifications', '', { query });
  }

  markNotificationsRead(which: { ids: number[] } | { all: true }): Promise<void> {
    return this.call('notifications', '/read', { method: 'POST', body: which });
  }

  notificationPreferences(): Promise<NotificationPreferences> {
    return this.call('notifications', '/preferences');
  }

  setNotificationPreferences(
    change: Partial<NotificationPreferences>,
  ): Promise<NotificationPreferences> {
    return this.call('notifications', '/preferences', { method: 'PUT', body: change });
  }

  // --- calendar ---------------------------------------------------------------------------

  /** The caller's secret feed URL (https), the same until rotated. */
  calendarLink(): Promise<CalendarLink> {
    return this.call('calendar', '');
  }

  /** A new feed URL; the old one stops working at once. */
  rotateCalendar(): Promise<CalendarLink> {
    return this.call('calendar', '/rotate', { method: 'POST' });
  }

  // --- admin ------------------------------------------------------------------------------

  residents(): Promise<Residents> {
    return this.call('admin', '/residents');
  }

  disableResident(user_id: string): Promise<DisableSummary> {
    return this.call('admin', '/residents/disable', { method: 'POST', body: { user_id } });
  }

  enableResident(user_id: string): Promise<void> {
    return this.call('admin', '/residents/enable', { method: 'POST', body: { user_id } });
  }

  createInvite(body: { role: Role; email?: string }): Promise<Invite> {
    return this.call('admin', '/invites', { method: 'POST', body });
  }

  createInvites(invites: { email: string; role: Role }[]): Promise<Invites> {
    return this.call('admin', '/invites/bulk', { method: 'POST', body: { invites } });
  }

  adjustCredits(body: {
    user_id: string;
    amount: number;
    reason: string;
  }): Promise<CreditAdjustment> {
    return this.call('admin', '/credits', { method: 'POST', body });
  }

  setPolicy(body: Partial<Policy>): Promise<Policy> {
    return this.call('admin', '/policy', { method: 'PATCH', body });
  }

  adminLedger(
    query: { user_id?: string; before?: number; limit?: number } = {},
  ): Promise<AdminLedger> {
    return this.call('admin', '/ledger', { query });
  }

  audit(query: { action?: string; before?: number; limit?: number } = {}): Promise<AuditLog> {
    return this.call('admin', '/audit', { query });
  }

  sso(): Promise<SsoState> {
    return this.call('admin', '/sso');
  }

  utilization(start: string, end: string): Promise<Utilization> {
    return this.call('admin', '/utilization', { query: { start, end } });
  }

  /** The building's reservations, ledger or utilization over [start, end) as a CSV file. */
  adminExport(
    kind: ExportKind,
    start: string,
    end: string,
  ): Promise<{ blob: Blob; filename: string | null }> {
    return this.download('admin', '/export', { kind, start, end });
  }

  displays(): Promise<Displays> {
    return this.call('admin', '/displays');
  }

  createDisplay(name: string): Promise<DisplayCreated> {
    return this.call('admin', '/displays', { method: 'POST', body: { name } });
  }

  revokeDisplay(display_id: string): Promise<void> {
    return this.call('admin', '/displays/revoke', { method: 'POST', body: { display_id } });
  }

  // --- the garage map ---------------------------------------------------------------------

  garageMap(): Promise<GarageMap> {
    return this.call('map', '');
  }

  /** A level's plan image, fetched with the session's token (an <img> could not send it). */
  async planImage(level: string): Promise<Blob> {
    const response = await this.answer('map', '/plan', {
      query: { level },
      headers: { accept: 'image/png, image/jpeg, image/webp, application/problem+json' },
    });
    return response.blob();
  }

  setPlan(level: string, image: Blob): Promise<unknown> {
    return this.call('admin', `/plans/${encodeURIComponent(level)}`, { method: 'PUT', raw: image });
  }

  removePlan(level: string): Promise<void> {
    return this.call('admin', `/plans/${encodeURIComponent(level)}`, { method: 'DELETE' });
  }

  placeSpot(spot_id: string, level: string, x: number, y: number): Promise<SpotPosition> {
    return this.call('admin', '/plans/place', { method: 'POST', body: { spot_id, level, x, y } });
  }

  unplaceSpot(spot_id: string): Promise<void> {
    return this.call('admin', '/plans/unplace', { method: 'POST', body: { spot_id } });
  }
}
