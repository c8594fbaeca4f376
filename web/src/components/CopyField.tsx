import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';

/** Read-only text with a Copy button (falls back to selecting the text where the clipboard is refused). */
export function CopyField({ label, value }: { label: string; value: string }) {
  const { t, i18n } = useTranslation('manage');
  const id = useId();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      (document.getElementById(id) as HTMLInputElement | null)?.select();
    }
  };
  return (
    <div>
      <label
        htmlFor={id}
        className="mb-1 block text-xs font-medium text-slate-700 dark:text-slate-300"
      >
        {label}
      </label>
      <div className="flex gap-2">
        <input
          id={id}
          readOnly
          value={value}
          onFocus={(e) => e.currentTarget.select()}
          className="min-w-0 flex-1 rounded-lg border border-slate-300 bg-slate-50 px-3 py-2 font-mono text-sm dark:border-slate-600 dark:bg-slate-950"
        />
        <button
          type="button"
          onClick={() => void copy()}
          className="rounded-lg border border-slate-300 px-3 text-sm font-semibold hover:bg-slate-100 dark:border-slate-600 dark:hover:bg-slate-800"
          // English says "Copy calendar link"; French and German keep the label as written
          // (a German noun keeps its capital).
          aria-label={t('copyField.copyLabel', {
            label: i18n.language === 'en' ? label.toLowerCase() : label,
          })}
        >
          {copied ? t('copyField.copied') : t('copyField.copy')}
        </button>
      </div>
    </div>
  );
}
