import type { LiveState } from '../live/connection';
import { useTranslation } from 'react-i18next';

const LOOK: Record<LiveState, { text: string; dot: string; title: string }> = {
  live: { text: 'live.live', dot: 'bg-green-600 dark:bg-green-400', title: 'live.liveTitle' },
  reconnecting: {
    text: 'live.reconnecting',
    dot: 'bg-amber-500 animate-pulse',
    title: 'live.reconnectingTitle',
  },
  offline: { text: 'live.offline', dot: 'bg-slate-400', title: 'live.offlineTitle' },
};

export function LiveIndicator({ state }: { state: LiveState }) {
  const { t } = useTranslation();
  const look = LOOK[state];
  return (
    <span
      data-testid="live-status"
      data-state={state}
      title={t(look.title)}
      aria-live="polite"
      className="inline-flex items-center gap-1.5 whitespace-nowrap rounded-full border border-slate-200 px-2 py-0.5 text-xs font-medium text-slate-700 dark:border-slate-700 dark:text-slate-200"
    >
      <span aria-hidden="true" className={`h-2 w-2 rounded-full ${look.dot}`} />
      {t(look.text)}
    </span>
  );
}
