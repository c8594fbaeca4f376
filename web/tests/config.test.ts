import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../src/config';
import { cleanedUrl, readAuthFragment } from '../src/auth/fragment';
import { parseHash } from '../src/lib/router';

const gateway = JSON.parse(
  readFileSync(new URL('../public/config.json', import.meta.url), 'utf8'),
) as unknown;

describe('config.json', () => {
  it('the shipped gateway default resolves against the page, relay as ws(s)', () => {
    const config = parseConfig(gateway, 'http://127.0.0.1:8080/');
    expect(config.functions.auth).toBe('http://127.0.0.1:8080/fn/auth');
    expect(config.functions['list-spots']).toBe('http://127.0.0.1:8080/fn/list-spots');
    expect(config.relay).toBe('ws://127.0.0.1:8080/ws');
    expect(config.demo).toBe(true);
    expect(parseConfig(gateway, 'https://parkshare.example.com/app/').relay).toBe(
      'wss://parkshare.example.com/ws',
    );
  });

  it('keeps absolute URLs of other origins (Knative)', () => {
    const functions = Object.fromEntries(
      [
        'auth',
        'admin',
        'add-spot',
        'set-availability',
        'recurring',
        'list-spots',
        'reserve',
        'cancel',
        'settle',
        'me',
        'notifications',
        'calendar',
        'request',
        'checkin',
        'board',
        'map',
        'graphql',
      ].map((n) => [n, `https://${n}.parkshare.example.com/`]),
    );
    const config = parseConfig(
      { functions, relay: 'wss://relay.parkshare.example.com' },
      'https://app.example.com/',
    );
    expect(config.functions.reserve).toBe('https://reserve.parkshare.example.com');
    expect(config.relay).toBe('wss://relay.parkshare.example.com/');
    expect(config.demo).toBe(false);
  });

  it('says which entry is missing', () => {
    expect(() =>
      parseConfig({ functions: { auth: '/fn/auth' }, relay: '/ws' }, 'http://x/'),
    ).toThrow(/functions\["admin"\]/);
    expect(() => parseConfig({ functions: {}, relay: '/ws' }, 'http://x/')).toThrow(/config.json/);
  });
});

describe('the SSO fragment, read before routing', () => {
  it('finds the one-time code and the error code', () => {
    expect(readAuthFragment('#sso_code=abc-123_x')).toEqual({ kind: 'code', code: 'abc-123_x' });
    expect(readAuthFragment('#sso_error=sso_forbidden')).toEqual({
      kind: 'error',
      code: 'sso_forbidden',
    });
  });

  it('leaves routes alone', () => {
    expect(readAuthFragment('#/garage')).toBeNull();
    expect(readAuthFragment('')).toBeNull();
  });

  it('drops the code from the address it leaves behind', () => {
    expect(cleanedUrl({ pathname: '/', search: '?building=b' }, 'garage')).toBe(
      '/?building=b#/garage',
    );
  });
});

describe('hash routes', () => {
  it('names screens and their parameters', () => {
    expect(parseHash('#/spots/abc')).toMatchObject({ name: 'spot', param: 'abc' });
    expect(parseHash('#/admin/usage')).toMatchObject({ name: 'admin', param: 'usage' });
    expect(parseHash('#/join?code=XY').query.get('code')).toBe('XY');
    expect(parseHash('').name).toBe('garage');
    expect(parseHash('#/nonsense').name).toBe('garage');
  });
});
