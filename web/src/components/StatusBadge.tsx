import { useTranslation } from 'react-i18next';
import type { SpotStatus } from '../api/types';

const LOOK: Record<SpotStatus, { className: string }> = {
  free: {
    className:
      'bg-green-100 text-green-900 ring-green-700/30 dark:bg-green-950 dark:text-green-200 dark:ring-green-400/40',
  },
  reserved: {
    className:
      'bg-rose-100 text-rose-900 ring-rose-700/30 dark:bg-rose-950 dark:text-rose-200 dark:ring-rose-400/40',
  },
  unavailable: {
    className:
      'bg-slate-100 text-slate-800 ring-slate-500/30 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-400/40',
  },
};

export function StatusBadge({ status }: { status: SpotStatus }) {
  const { t } = useTranslation('garage');
  const look = LOOK[status];
  return (
    <span
      className={`inline-flex shrink-0 items-center gap-1.5 rounded-full px-2.5 py-1 text-xs font-semibold ring-1 ring-inset ${look.className}`}
    >
      <span aria-hidden="true">{status === 'free' ? '●' : status === 'reserved' ? '■' : '○'}</span>
      {t(`status.${status}`)}
    </span>
  );
}
