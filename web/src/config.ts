// Where the functions and the relay are: read at run time from config.json beside the app,
// so one build serves the gateway (same origin, relative paths) and Knative (a URL per
// function on other origins).

export const FUNCTION_NAMES = [
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
] as const;

export type FunctionName = (typeof FUNCTION_NAMES)[number];

export interface AppConfig {
  /** Absolute URLs without a trailing slash. */
  functions: Record<FunctionName, string>;
  /** Absolute ws:// or wss:// URL. */
  relay: string;
  /** The gateway's default: the demo building is seeded, so the sign-in page lists its logins. */
  demo: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function resolve(value: unknown, base: string, what: string): URL {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(`config.json: ${what} must be a URL`);
  }
  try {
    return new URL(value, base);
  } catch {
    throw new ConfigError(`config.json: ${what} is not a URL: ${value}`);
  }
}

function withoutTrailingSlash(url: URL): string {
  return url.href.replace(/\/+$/, '');
}

/** Validates config.json and resolves relative URLs against the page (`base`). */
export function parseConfig(raw: unknown, base: string): AppConfig {
  if (typeof raw !== 'object' || raw === null)
    throw new ConfigError('config.json is not an object');
  const record = raw as Record<string, unknown>;
  const given = record.functions;
  if (typeof given !== 'object' || given === null)
    throw new ConfigError('config.json: functions is missing');
  const urls = given as Record<string, unknown>;
  const functions = {} as Record<FunctionName, string>;
  for (const name of FUNCTION_NAMES) {
    const url = resolve(urls[name], base, `functions["${name}"]`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(`config.json: functions["${name}"] must be http(s)`);
    }
    functions[name] = withoutTrailingSlash(url);
  }
  const relay = resolve(record.relay, base, 'relay');
  // A relative relay URL comes out http(s) from the page: the socket speaks ws(s).
  if (relay.protocol === 'http:') relay.protocol = 'ws:';
  else if (relay.protocol === 'https:') relay.protocol = 'wss:';
  if (relay.protocol !== 'ws:' && relay.protocol !== 'wss:') {
    throw new ConfigError('config.json: relay must be a ws(s) or http(s) URL');
  }
  return { functions, relay: relay.href, demo: record.demo === true };
}

export async function loadConfig(
  fetchFn: typeof fetch = (input, init) => fetch(input, init),
): Promise<AppConfig> {
  const url = new URL('config.json', document.baseURI).href;
  let response: Response;
  try {
    response = await fetchFn(url, { cache: 'no-cache' });
  } catch {
    throw new ConfigError('config.json could not be loaded: check your connection');
  }
  if (!response.ok)
    throw new ConfigError(`config.json could not be loaded (HTTP ${response.status})`);
  let raw: unknown;
  try {
    raw = await response.json();
  } catch {
    throw new ConfigError('config.json is not valid JSON');
  }
  return parseConfig(raw, document.baseURI);
}
