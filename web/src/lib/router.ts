// Hash routes (#/garage, #/spots/<id>, …): any static host serves every deep link.

import { useEffect, useState } from 'react';

export type RouteName =
  | 'garage'
  | 'spot'
  | 'reservations'
  | 'my-spots'
  | 'credits'
  | 'account'
  | 'notifications'
  | 'admin'
  | 'signin'
  | 'join';

export interface Route {
  name: RouteName;
  /** The rest of the path: a spot id, an admin section. */
  param: string;
  query: URLSearchParams;
}

const NAMES: Record<string, RouteName> = {
  garage: 'garage',
  spots: 'spot',
  reservations: 'reservations',
  'my-spots': 'my-spots',
  credits: 'credits',
  account: 'account',
  notifications: 'notifications',
  admin: 'admin',
  signin: 'signin',
  join: 'join',
};

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = text.split('?', 2);
  const [head = '', ...rest] = path.split('/').filter(Boolean);
  const name = NAMES[head] ?? 'garage';
  return { name, param: decodeURIComponent(rest.join('/')), query: new URLSearchParams(search) };
}

export function href(path: string): string {
  return `#/${path}`;
}

export function navigate(path: string): void {
  window.location.hash = `/${path}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
