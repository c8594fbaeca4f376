import { Icon } from './icons';
import { useTranslation } from 'react-i18next';

export function ThemeToggle({
  theme,
  onToggle,
}: {
  theme: 'light' | 'dark';
  onToggle: () => void;
}) {
  const { t } = useTranslation();
  return (
    <button
      type="button"
      onClick={onToggle}
      aria-label={t('theme.toggle')}
      aria-pressed={theme === 'dark'}
      title={theme === 'dark' ? t('theme.toLight') : t('theme.toDark')}
      className="rounded-lg p-2 text-slate-700 hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-800"
    >
      <Icon name={theme === 'dark' ? 'sun' : 'moon'} />
    </button>
  );
}
