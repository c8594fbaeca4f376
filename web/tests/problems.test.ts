import { describe, expect, it } from 'vitest';
import { ApiError, networkError, problemMessage, ssoErrorMessage } from '../src/api/problems';

const problem = (status: number, code: string, extra: Record<string, unknown> = {}) =>
  new ApiError(status, {
    type: `urn:parkshare:problem:${code}`,
    title: 'T',
    status,
    code,
    ...extra,
  });

describe('problem codes → what the resident reads', () => {
  it.each([
    ['spot_taken', 409, /just booked/],
    ['overlapping_reservation', 409, /already have a booking/],
    ['insufficient_credits', 402, /enough credits/],
    ['already_started', 409, /already started/],
    ['own_spot', 403, /your own spot/],
    ['label_taken', 409, /already has this label/],
    ['has_reservations', 409, /booked this spot/],
    ['spot_unavailable', 409, /hasn’t shared/],
    ['invalid_credentials', 401, /Wrong email or password/],
    ['invalid_invite', 400, /invite code/],
    ['forbidden', 403, /permission/],
    ['invalid_pattern', 422, /schedule doesn’t work/],
    ['pattern_not_found', 404, /schedule no longer exists/],
    ['not_owner', 403, /spot’s owner/],
  ])('%s', (code, status, expected) => {
    expect(problemMessage(problem(status, code))).toMatch(expected);
  });

  it('explains invalid_window with the server’s reason (a policy limit)', () => {
    expect(
      problemMessage(
        problem(422, 'invalid_window', { detail: 'a reservation lasts at most 24 hours' }),
      ),
    ).toBe('That time window doesn’t work: A reservation lasts at most 24 hours.');
  });

  it('says when to try again after too many attempts', () => {
    expect(problemMessage(new ApiError(429, { code: 'rate_limited' }, 240))).toBe(
      'Too many attempts. Try again in 4 min.',
    );
    expect(problemMessage(new ApiError(429, { code: 'rate_limited' }))).toMatch(/few minutes/);
  });

  it('never shows a server error’s internals', () => {
    const message = problemMessage(
      new ApiError(500, { code: 'internal', detail: 'Traceback (most recent call last): …' }),
    );
    expect(message).not.toMatch(/Traceback/);
    expect(problemMessage(new ApiError(502, { detail: '<html>Bad gateway</html>' }))).toMatch(
      /went wrong on our side/,
    );
  });

  it('tells an offline resident to check the connection', () => {
    expect(problemMessage(networkError())).toMatch(/connection/);
  });

  it('falls back to the title for a code it does not know', () => {
    expect(
      problemMessage(problem(409, 'brand_new_code', { title: 'Something new happened' })),
    ).toBe('Something new happened.');
  });

  it('lets a screen word a code its own way', () => {
    expect(
      problemMessage(problem(401, 'invalid_credentials'), {
        invalid_credentials: 'The current password is wrong.',
      }),
    ).toBe('The current password is wrong.');
  });

  it('turns an SSO failure from the fragment into a sentence', () => {
    expect(ssoErrorMessage('sso_forbidden')).toMatch(/isn’t allowed/);
    expect(ssoErrorMessage('invalid_state')).toMatch(/another browser/);
  });

  it('is generic for what is not an API error', () => {
    expect(problemMessage(new Error('x'))).toBe('Something went wrong. Try again in a moment.');
  });
});
