// One theme for the whole page: every component using this hook sees the same choice.

import { useSyncExternalStore } from 'react';
import {
  applyTheme,
  effectiveTheme,
  readThemeChoice,
  saveThemeChoice,
  toggled,
  type Theme,
  type ThemeChoice,
} from '../lib/theme';

interface ThemeState {
  choice: ThemeChoice;
  theme: Theme;
}

const listeners = new Set<() => void>();
let state: ThemeState | null = null;
let media: MediaQueryList | null = null;

function compute(choice: ThemeChoice): ThemeState {
  return { choice, theme: effectiveTheme(choice, media?.matches ?? false) };
}

function update(next: ThemeState): void {
  state = next;
  applyTheme(next.theme);
  for (const listener of listeners) listener();
}

function current(): ThemeState {
  if (!state) {
    media = window.matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', () => update(compute(current().choice)));
    // Another tab changed it: follow.
    window.addEventListener('storage', () => update(compute(readThemeChoice())));
    state = compute(readThemeChoice());
  }
  return state;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function setThemeChoice(choice: ThemeChoice): void {
  saveThemeChoice(choice);
  update(compute(choice));
}

export interface ThemeControls extends ThemeState {
  setChoice: (choice: ThemeChoice) => void;
  toggle: () => void;
}

export function useTheme(): ThemeControls {
  const { choice, theme } = useSyncExternalStore(subscribe, current);
  return { choice, theme, setChoice: setThemeChoice, toggle: () => setThemeChoice(toggled(theme)) };
}
