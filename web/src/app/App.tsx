import { useEffect, useState, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { ToastProvider } from '../components/Toasts';
import { useTheme } from '../hooks/useTheme';
import { navigate, useRoute } from '../lib/router';
import { JoinScreen } from '../screens/JoinScreen';
import { SignInScreen } from '../screens/SignInScreen';
import { ServicesContext, type Services } from './services';
import { Shell } from './Shell';

export function App({ services, notice }: { services: Services; notice: string | null }) {
  return (
    <ServicesContext.Provider value={services}>
      <ToastProvider>
        <Root services={services} notice={notice} />
      </ToastProvider>
    </ServicesContext.Provider>
  );
}

function Root({ services, notice: initialNotice }: { services: Services; notice: string | null }) {
  const { session, cache } = services;
  // Said once: an SSO failure is not news the next time someone signs out.
  const [notice, setNotice] = useState(initialNotice);
  const signedIn = useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => session.isSignedIn,
  );
  const route = useRoute();
  const theme = useTheme();
  // A language switch renders every screen again (dates and numbers too, not only texts).
  const { i18n } = useTranslation();
  const language = i18n.language;

  useEffect(() => {
    // What one resident saw must not show to the next one on this device.
    if (!signedIn) cache.clear();
    else setNotice(null);
  }, [cache, signedIn]);

  useEffect(() => {
    if (signedIn && (route.name === 'signin' || route.name === 'join')) navigate('garage');
  }, [route.name, signedIn]);

  if (!signedIn) {
    return route.name === 'join' ? (
      <JoinScreen key={language} theme={theme} />
    ) : (
      <SignInScreen key={language} theme={theme} notice={notice} />
    );
  }
  return <Shell key={language} route={route} theme={theme} />;
}
