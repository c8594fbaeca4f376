import type { LiveState } from '../live/connection';

const LOOK: Record<LiveState, { text: string; dot: string; title: string }> = {
  live: {
    text: 'Live',
    dot: 'bg-green-600 dark:bg-green-400',
    title: 'Changes appear as they happen',
  },
  reconnecting: {
    text: 'Reconnecting…',
    dot: 'bg-amber-500 animate-pulse',
    title: 'The live connection dropped; reconnecting',
  },
  offline: {
    text: 'Offline',
    dot: 'bg-slate-400',
    title: 'No network: what you see may be out of date',
  },
};

export function LiveIndicator({ state }: { state: LiveState }) {
  const look = LOOK[state];
  return (
    <span
      data-testid="live-status"
      data-state={state}
      title={look.title}
      aria-live="polite"
      className="inline-flex items-center gap-1.5 rounded-full border border-slate-200 px-2 py-0.5 text-xs font-medium text-slate-700 dark:border-slate-700 dark:text-slate-200"
    >
      <span aria-hidden="true" className={`h-2 w-2 rounded-full ${look.dot}`} />
      {look.text}
    </span>
  );
}
