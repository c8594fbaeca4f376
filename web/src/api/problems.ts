// Every function answers errors as application/problem+json with a snake_case `code`; this
// turns them into sentences a resident can act on. The server's `detail` is shown only where
// it carries what the person needs (a policy limit), never a stack or an internal.

import i18next from 'i18next';

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

// What each code says (common namespace, `problems.*`); codes whose server detail says more
// (which rule, which field) are led by our words and followed by the server's.
const WITH_DETAIL = new Set(['invalid_window', 'invalid_pattern', 'conflict', 'invalid_request']);

function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function known(code: string): boolean {
  return i18next.exists(`problems.${code}`, { ns: 'common' });
}

function messageFor(error: ApiError): string | null {
  const code = error.code;
  if (code === 'rate_limited' && error.retryAfterSeconds) {
    return i18next.t('problems.rate_limited_in', {
      minutes: Math.ceil(error.retryAfterSeconds / 60),
    });
  }
  if (!known(code) || ['unknown', 'status', 'withDetail', 'leadOnly'].includes(code)) return null;
  const lead = i18next.t(`problems.${code}`);
  if (!WITH_DETAIL.has(code)) return lead;
  return error.detail
    ? i18next.t('problems.withDetail', { lead, detail: sentence(error.detail) })
    : i18next.t('problems.leadOnly', { lead });
}

/** What to tell the person about `error`; `overrides` words a code for one screen. */
export function problemMessage(
  error: unknown,
  overrides: Partial<Record<string, string>> = {},
): string {
  if (!(error instanceof ApiError)) return i18next.t('problems.unknown');
  const override = overrides[error.code];
  if (override) return override;
  const message = messageFor(error);
  if (message) return message;
  if (error.status >= 500) return i18next.t('problems.internal');
  return error.title
    ? sentence(error.title)
    : i18next.t('problems.status', { status: error.status });
}

/** The message for an SSO failure the auth function reported in the page's fragment. */
export function ssoErrorMessage(code: string): string {
  return problemMessage(new ApiError(400, { code }), {});
}

export function isCode(error: unknown, ...codes: string[]): error is ApiError {
  return error instanceof ApiError && codes.includes(error.code);
}
