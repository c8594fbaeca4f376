import { describe, expect, it } from 'vitest';
import { Api, attachmentName } from '../src/api/client';
import { ApiError } from '../src/api/problems';
import { AuthSession, type FetchLike } from '../src/api/session';
import { FUNCTION_NAMES, parseConfig } from '../src/config';
import { defaultExportDates, exportWindow } from '../src/lib/exports';

const PARIS = 'Europe/Paris';

describe('the export window', () => {
  it('is whole local days, the last one included', () => {
    expect(exportWindow('2026-01-01', '2026-01-31', PARIS)).toEqual({
      start: '2026-01-01T00:00:00+01:00',
      end: '2026-02-01T00:00:00+01:00',
    });
  });

  it('follows the building’s clock across a change', () => {
    // Paris moves to summer time on 2026-03-29: the day after begins an hour earlier in UTC.
    const day = exportWindow('2026-03-29', '2026-03-29', PARIS);
    expect(day).toEqual({ start: '2026-03-29T00:00:00+01:00', end: '2026-03-30T00:00:00+02:00' });
    expect(Date.parse(day.end) - Date.parse(day.start)).toBe(23 * 3_600_000);
    expect(exportWindow('2026-07-01', '2026-07-01', 'America/St_Johns').start).toBe(
      '2026-07-01T00:00:00-02:30',
    );
  });

  it('defaults to the last 30 days, today included', () => {
    const now = Date.parse('2026-12-04T02:30:00Z');
    expect(defaultExportDates(now, PARIS)).toEqual({ from: '2026-11-05', to: '2026-12-04' });
  });
});

describe('downloading an export', () => {
  const config = parseConfig(
    {
      functions: Object.fromEntries(FUNCTION_NAMES.map((n) => [n, `/fn/${n}`])),
      relay: '/ws',
    },
    'http://app.test/',
  );

  function signedIn(fetch: FetchLike): Api {
    const session = new AuthSession({
      refreshUrl: `${config.functions.auth}/refresh`,
      fetch,
      storage: { get: () => null, set: () => {} },
    });
    session.accept({
      access_token: 'a1',
      refresh_token: 'r1',
      token_type: 'bearer',
      expires_in: 600,
    } as Parameters<AuthSession['accept']>[0]);
    return new Api(config, session, fetch);
  }

  it('sends the session’s token and answers the file with its name', async () => {
    const seen: { url: string; auth: string | null }[] = [];
    const api = signedIn(async (url, init) => {
      seen.push({ url, auth: new Headers(init?.headers).get('authorization') });
      return new Response('id,spot\r\n1,"B ""2"", west"\r\n', {
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition':
            'attachment; filename="parkshare-ledger-2026-01-01-2026-01-31.csv"',
        },
      });
    });
    const file = await api.adminExport('ledger', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z');
    expect(file.filename).toBe('parkshare-ledger-2026-01-01-2026-01-31.csv');
    expect(await file.blob.text()).toBe('id,spot\r\n1,"B ""2"", west"\r\n');
    expect(seen).toEqual([
      {
        url: 'http://app.test/fn/admin/export?kind=ledger&start=2026-01-01T00%3A00%3A00Z&end=2026-02-01T00%3A00%3A00Z',
        auth: 'Bearer a1',
      },
    ]);
  });

  it('throws the server’s refusal as its problem', async () => {
    const api = signedIn(
      async () =>
        new Response(JSON.stringify({ code: 'invalid_window', status: 422 }), {
          status: 422,
          headers: { 'content-type': 'application/problem+json' },
        }),
    );
    const refused = api.adminExport('reservations', '2026-01-01T00:00:00Z', '2027-06-01T00:00:00Z');
    await expect(refused).rejects.toBeInstanceOf(ApiError);
    await expect(refused).rejects.toMatchObject({ code: 'invalid_window' });
  });

  it('reads the file name of a Content-Disposition', () => {
    expect(attachmentName('attachment; filename="a.csv"')).toBe('a.csv');
    expect(attachmentName('attachment')).toBeNull();
    expect(attachmentName(null)).toBeNull();
  });
});
