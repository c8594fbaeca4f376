// Every function answers errors as application/problem+json with a snake_case `code`; this
// turns them into sentences a resident can act on. The server's `detail` is shown only where
// it carries what the person needs (a policy limit), never a stack or an internal.

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly retryAfterSeconds: number | null;

  constructor(status: number, problem: Problem, retryAfterSeconds: number | null = null) {
    super(problem.detail || problem.title || problem.code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = problem.code ?? (status === 0 ? 'network' : `http_${status}`);
    this.title = problem.title ?? '';
    this.detail = problem.detail ?? '';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The browser could not reach the function at all (offline, DNS, CORS, a proxy down). */
export function networkError(): ApiError {
  return new ApiError(0, { code: 'network' });
}

type Message = string | ((error: ApiError) => string);

const withDetail = (lead: string) => (error: ApiError) =>
  error.detail ? `${lead}: ${sentence(error.detail)}` : `${lead}.`;

function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

const MESSAGES: Record<string, Message> = {
  // booking
  spot_taken: 'Someone has just booked this spot for that time. Pick another time or another spot.',
  overlapping_reservation:
    'You already have a booking at that time. Cancel it first or choose another time.',
  insufficient_credits: 'You don’t have enough credits for this booking.',
  spot_unavailable:
    'The owner hasn’t shared this spot for the whole of that time. Try a shorter or different window.',
  own_spot: 'That’s your own spot: you don’t need to book it.',
  invalid_window: withDetail('That time window doesn’t work'),
  idempotency_mismatch: 'This booking was already sent with other details. Please try again.',
  spot_not_found: 'This spot no longer exists.',
  // cancelling
  already_started: 'This booking has already started, so it can no longer be cancelled.',
  reservation_not_found: 'This booking no longer exists.',
  not_yours: 'Only the resident who booked, or the spot’s owner, can cancel this booking.',
  // spots
  label_taken: 'Another spot in the building already has this label. Choose another one.',
  has_reservations: 'Residents have booked this spot during that time.',
  not_owner: 'Only the spot’s owner can change when it is shared.',
  // recurring sharing
  invalid_pattern: withDetail('That schedule doesn’t work'),
  pattern_not_found:
    'This schedule no longer exists. Reload the page to see your spots’ schedules.',
  // accounts
  invalid_credentials: 'Wrong email or password.',
  rate_limited: (error) =>
    error.retryAfterSeconds
      ? `Too many attempts. Try again in ${Math.ceil(error.retryAfterSeconds / 60)} min.`
      : 'Too many attempts. Wait a few minutes and try again.',
  invalid_token: 'Your session has ended. Please sign in again.',
  unauthenticated: 'Your session has ended. Please sign in again.',
  invalid_invite:
    'This invite code is unknown, already used or expired. Ask your building’s admin for a new one.',
  email_taken: 'An account with this email already exists. Sign in instead.',
  no_password: 'Your account signs in through your building’s account, so it has no password here.',
  session_not_found: 'That session has already ended.',
  // admin
  forbidden: 'You don’t have permission to do that.',
  user_not_found: 'That resident no longer exists.',
  conflict: withDetail('That clashes with another change'),
  // single sign-on (also what #sso_error=<code> carries back)
  sso_failed:
    'Signing in with your building’s account failed. Try again, or use your email and password.',
  sso_forbidden:
    'Your building’s account isn’t allowed to sign in to parkshare. Ask your building’s admin.',
  sso_not_configured: 'Your building doesn’t offer sign-in with its own account (any more).',
  invalid_state: 'That sign-in took too long or started in another browser. Please try again.',
  // generic
  invalid_request: withDetail('Some details aren’t valid'),
  invalid_json: 'The app sent something the server could not read. Reload the page and try again.',
  unsupported_media_type:
    'The app sent something the server could not read. Reload the page and try again.',
  payload_too_large: 'That is too much text to send at once.',
  not_found: 'This isn’t available on this server (yet).',
  method_not_allowed: 'This isn’t available on this server (yet).',
  busy: 'The server is busy. Try again in a moment.',
  unavailable: 'parkshare is temporarily unavailable. Try again in a moment.',
  internal: 'Something went wrong on our side. Try again in a moment.',
  network: 'Can’t reach parkshare. Check your connection and try again.',
};

/** What to tell the person about `error`; `overrides` words a code for one screen. */
export function problemMessage(
  error: unknown,
  overrides: Partial<Record<string, string>> = {},
): string {
  if (!(error instanceof ApiError)) {
    return 'Something went wrong. Try again in a moment.';
  }
  const override = overrides[error.code];
  if (override) return override;
  const message = MESSAGES[error.code];
  if (typeof message === 'function') return message(error);
  if (message) return message;
  if (error.status >= 500) return MESSAGES.internal as string;
  return error.title ? `${sentence(error.title)}` : `Something went wrong (${error.status}).`;
}

/** The message for an SSO failure the auth function reported in the page's fragment. */
export function ssoErrorMessage(code: string): string {
  return problemMessage(new ApiError(400, { code }), {});
}

export function isCode(error: unknown, ...codes: string[]): error is ApiError {
  return error instanceof ApiError && codes.includes(error.code);
}
