// A level's plan as an object URL: fetched with the session's token (an <img> cannot send
// it), fetched again when its version changes, and released when no longer shown.

import { useEffect, useState } from 'react';
import { useServices } from '../app/services';

export function usePlanImage(
  level: string | null,
  version: string | null,
): { url: string | null; error: unknown } {
  const { api } = useServices();
  const [state, setState] = useState<{ key: string; url: string | null; error: unknown }>({
    key: '',
    url: null,
    error: null,
  });
  const key = level === null ? '' : `${level}\u0000${version ?? ''}`;
  useEffect(() => {
    if (level === null) return;
    let url: string | null = null;
    let live = true;
    api.planImage(level).then(
      (blob) => {
        url = URL.createObjectURL(blob);
        if (live) setState({ key, url, error: null });
        else URL.revokeObjectURL(url);
      },
      (error: unknown) => {
        if (live) setState({ key, url: null, error });
      },
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [api, level, key]);
  return state.key === key ? { url: state.url, error: state.error } : { url: null, error: null };
}
