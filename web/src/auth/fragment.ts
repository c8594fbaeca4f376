// Single sign-on ends at the app with `#sso_code=<one-time code>` or `#sso_error=<code>` in
// the fragment (browsers never send a fragment to a server). Read it before the hash router
// sees it, then take it out of the address bar and history.

export type AuthFragment = { kind: 'code'; code: string } | { kind: 'error'; code: string } | null;

export function readAuthFragment(hash: string): AuthFragment {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!text.startsWith('sso_')) return null;
  const params = new URLSearchParams(text);
  const code = params.get('sso_code');
  if (code) return { kind: 'code', code };
  const error = params.get('sso_error');
  if (error !== null) return { kind: 'error', code: error || 'sso_failed' };
  return null;
}

/** The address without the fragment's secret, landing on `route`. */
export function cleanedUrl(location: { pathname: string; search: string }, route: string): string {
  return `${location.pathname}${location.search}#/${route}`;
}
