// The few building blocks every screen uses, so that buttons, fields and notices look and
// behave alike (labels on every control, visible focus, AA contrast in both themes).

import {
  useId,
  type ButtonHTMLAttributes,
  type HTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react';
import { problemMessage } from '../api/problems';
import { useTranslation } from 'react-i18next';

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost';

const VARIANTS: Record<Variant, string> = {
  primary:
    'bg-blue-700 text-white hover:bg-blue-800 disabled:bg-blue-700/60 dark:bg-sky-400 dark:text-slate-950 dark:hover:bg-sky-300 dark:disabled:bg-sky-400/50',
  secondary:
    'border border-slate-300 bg-white text-slate-900 hover:bg-slate-100 disabled:text-slate-500 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800 dark:disabled:text-slate-400',
  danger:
    'bg-red-700 text-white hover:bg-red-800 disabled:bg-red-700/60 dark:bg-red-400 dark:text-slate-950 dark:hover:bg-red-300',
  ghost:
    'text-blue-800 hover:bg-blue-50 disabled:text-slate-500 dark:text-sky-300 dark:hover:bg-slate-800',
};

export function buttonClass(variant: Variant = 'primary', size: 'md' | 'lg' | 'sm' = 'md'): string {
  const sizes = {
    sm: 'min-h-9 px-3 text-sm',
    md: 'min-h-11 px-4 text-sm',
    lg: 'min-h-12 px-5 text-base',
  };
  return `inline-flex items-center justify-center gap-2 rounded-lg font-semibold transition-colors disabled:cursor-not-allowed ${sizes[size]} ${VARIANTS[variant]}`;
}

export function Button({
  variant = 'primary',
  size = 'md',
  pending = false,
  className = '',
  children,
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: Variant;
  size?: 'md' | 'lg' | 'sm';
  pending?: boolean;
}) {
  return (
    <button
      type="button"
      {...props}
      disabled={props.disabled || pending}
      aria-busy={pending || undefined}
      className={`${buttonClass(variant, size)} ${className}`}
    >
      {pending && <Spinner small />}
      {children}
    </button>
  );
}

const CONTROL =
  'block w-full rounded-lg border border-slate-400 disabled:cursor-not-allowed disabled:opacity-60 bg-white px-3 py-2 text-slate-900 placeholder:text-slate-500 dark:border-slate-500 dark:bg-slate-900 dark:text-slate-100 dark:placeholder:text-slate-400 aria-[invalid=true]:border-red-700 dark:aria-[invalid=true]:border-red-400';

interface FieldProps {
  label: ReactNode;
  hint?: ReactNode;
  className?: string;
}

export function TextField({
  label,
  hint,
  className = '',
  ...props
}: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-sm font-medium">
        {label}
      </label>
      <input
        id={id}
        {...props}
        aria-describedby={hint ? `${id}-hint` : undefined}
        className={CONTROL}
      />
      {hint && (
        <p id={`${id}-hint`} className="mt-1 text-xs text-slate-600 dark:text-slate-400">
          {hint}
        </p>
      )}
    </div>
  );
}

export function TextArea({
  label,
  hint,
  className = '',
  ...props
}: FieldProps & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-sm font-medium">
        {label}
      </label>
      <textarea
        id={id}
        {...props}
        aria-describedby={hint ? `${id}-hint` : undefined}
        className={CONTROL}
      />
      {hint && (
        <p id={`${id}-hint`} className="mt-1 text-xs text-slate-600 dark:text-slate-400">
          {hint}
        </p>
      )}
    </div>
  );
}

export function SelectField({
  label,
  className = '',
  children,
  ...props
}: FieldProps & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-sm font-medium">
        {label}
      </label>
      <select id={id} {...props} className={CONTROL}>
        {children}
      </select>
    </div>
  );
}

export function Card({
  children,
  className = '',
  as: Tag = 'section',
  ...rest
}: HTMLAttributes<HTMLElement> & { as?: 'section' | 'article' | 'div' | 'li' }) {
  return (
    <Tag
      {...rest}
      className={`rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900 ${className}`}
    >
      {children}
    </Tag>
  );
}

export function Spinner({ small = false }: { small?: boolean }) {
  return (
    <span
      aria-hidden="true"
      className={`inline-block animate-spin rounded-full border-2 border-current border-r-transparent ${small ? 'h-4 w-4' : 'h-6 w-6'}`}
    />
  );
}

export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <p
      className="flex items-center gap-3 py-8 text-slate-600 dark:text-slate-400"
      aria-live="polite"
    >
      <Spinner /> {label ?? t('loading')}
    </p>
  );
}

/** An error in place of (or beside) what could not be loaded or done. */
export function ErrorNotice({
  error,
  onRetry,
  overrides,
}: {
  error: unknown;
  onRetry?: () => void;
  overrides?: Partial<Record<string, string>>;
}) {
  const { t } = useTranslation();
  if (!error) return null;
  return (
    <div
      role="alert"
      className="flex flex-wrap items-center gap-3 rounded-lg border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
    >
      <span className="flex-1">{problemMessage(error, overrides)}</span>
      {onRetry && (
        <button
          type="button"
          onClick={onRetry}
          className="font-semibold underline underline-offset-2"
        >
          {t('tryAgain')}
        </button>
      )}
    </div>
  );
}

export function Notice({
  children,
  tone = 'info',
}: {
  children: ReactNode;
  tone?: 'info' | 'warning';
}) {
  const tones = {
    info: 'border-blue-200 bg-blue-50 text-blue-950 dark:border-sky-900 dark:bg-sky-950 dark:text-sky-100',
    warning:
      'border-amber-300 bg-amber-50 text-amber-950 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100',
  };
  return <div className={`rounded-lg border px-3 py-2 text-sm ${tones[tone]}`}>{children}</div>;
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-xl border border-dashed border-slate-300 px-4 py-8 text-center dark:border-slate-700">
      <p className="font-semibold">{title}</p>
      {children && (
        <div className="mt-2 text-sm text-slate-600 dark:text-slate-400">{children}</div>
      )}
    </div>
  );
}

export function PageTitle({ children, aside }: { children: ReactNode; aside?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-end justify-between gap-2">
      <h1 className="text-2xl font-bold tracking-tight">{children}</h1>
      {aside && <div className="text-sm text-slate-600 dark:text-slate-400">{aside}</div>}
    </div>
  );
}

export function SectionTitle({ children, id }: { children: ReactNode; id?: string }) {
  return (
    <h2 id={id} className="mb-3 text-lg font-semibold">
      {children}
    </h2>
  );
}
