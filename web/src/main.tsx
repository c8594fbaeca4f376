import i18next from 'i18next';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Api } from './api/client';
import { ApiError, problemMessage, ssoErrorMessage } from './api/problems';
import { AuthSession, browserLock, localTokenStorage, REFRESH_STORAGE_KEY } from './api/session';
import { App } from './app/App';
import { cleanedUrl, readAuthFragment } from './auth/fragment';
import { loadConfig } from './config';
import { startI18n } from './i18n';
import { keys } from './data/keys';
import { nextDayKey } from './hooks/data';
import { isBoardPath, tokenFromHash } from './lib/board';
import { QueryCache } from './lib/cache';
import { localSaver } from './lib/offline';
import './index.css';

const fetchFn = (input: string, init?: RequestInit) => fetch(input, init);

function Failure({ message }: { message: string }) {
  return (
    <main className="mx-auto max-w-md p-6">
      <h1 className="text-xl font-bold">{i18next.t('boot.failed')}</h1>
      <p role="alert" className="mt-2">
        {message}
      </p>
      <button
        type="button"
        className="mt-4 rounded-lg bg-blue-700 px-4 py-2 font-semibold text-white"
        onClick={() => window.location.reload()}
      >
        {i18next.t('boot.reload')}
      </button>
    </main>
  );
}

async function boot(): Promise<void> {
  await startI18n();
  const root = createRoot(document.getElementById('root') as HTMLElement);
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    root.render(<Failure message={error instanceof Error ? error.message : String(error)} />);
    return;
  }
  // A lobby display: its own screen, with its own token and no resident's session.
  if (isBoardPath(window.location.pathname)) {
    const { BoardScreen } = await import('./screens/BoardScreen');
    root.render(
      <StrictMode>
        <BoardScreen config={config} token={tokenFromHash(window.location.hash)} />
      </StrictMode>,
    );
    return;
  }
  const session = new AuthSession({
    refreshUrl: `${config.functions.auth}/refresh`,
    fetch: fetchFn,
    storage: localTokenStorage(),
    lock: browserLock(),
  });
  const api = new Api(config, session, fetchFn);
  // The last `me` and home garage, kept for a start without a network.
  const cache = new QueryCache({
    saver: localSaver((key) => key === keys.me || key === nextDayKey(false)),
    isNetworkError: (error) => error instanceof ApiError && error.code === 'network',
  });
  window.addEventListener('storage', (event) => {
    if (event.key === REFRESH_STORAGE_KEY || event.key === null) session.storageChanged();
  });

  // Single sign-on comes back in the fragment: handle it before the hash router reads it,
  // and take the one-time code out of the address bar and history at once.
  let notice: string | null = null;
  const fragment = readAuthFragment(window.location.hash);
  if (fragment) {
    window.history.replaceState(
      null,
      '',
      cleanedUrl(window.location, fragment.kind === 'code' ? 'garage' : 'signin'),
    );
    if (fragment.kind === 'code') {
      try {
        await api.ssoExchange(fragment.code);
      } catch (error) {
        notice = problemMessage(error, {
          invalid_token: 'That sign-in link has expired or was already used. Please sign in again.',
        });
      }
    } else {
      notice = ssoErrorMessage(fragment.code);
    }
  }
  root.render(
    <StrictMode>
      <App services={{ config, api, session, cache }} notice={notice} />
    </StrictMode>,
  );
}

// The installed app opens without a network: the service worker keeps the app shell (never
// an API answer). Not in `npm run dev`, whose modules are not the built files it lists.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('./sw.js').catch(() => {
      // Refused (a private window, a browser policy): the app works online as before.
    });
  });
}

void boot();
