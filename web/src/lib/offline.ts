// What the app keeps for when the server cannot be reached: the last `me` and garage it saw,
// with when it saw them, in localStorage. The cache shows them only after a fetch has failed
// for want of a network (never in place of an answer it could get), and the app says how old
// they are: saved answers are never passed off as live ones.

export interface Saved<T> {
  data: T;
  savedAt: number;
}

export interface Saver {
  keeps(key: string): boolean;
  save(key: string, data: unknown, at: number): void;
  load<T>(key: string): Saved<T> | null;
  /** When the server last answered one of the kept keys, or null. */
  lastContact(): number | null;
  clear(): void;
}

const PREFIX = 'parkshare.saved.';
const CONTACT = `${PREFIX}contact`;

export function localSaver(keeps: (key: string) => boolean, storage?: Storage | null): Saver {
  const store = (): Storage | null => {
    try {
      return storage === undefined ? globalThis.localStorage : storage;
    } catch {
      return null;
    }
  };
  return {
    keeps,
    save(key, data, at) {
      try {
        store()?.setItem(PREFIX + key, JSON.stringify({ data, savedAt: at }));
        store()?.setItem(CONTACT, String(at));
      } catch {
        // Full or refused: offline the app then shows what it can fetch, which is nothing.
      }
    },
    load<T>(key: string): Saved<T> | null {
      try {
        const text = store()?.getItem(PREFIX + key);
        if (!text) return null;
        const saved = JSON.parse(text) as Saved<T>;
        return typeof saved.savedAt === 'number' && saved.data !== undefined ? saved : null;
      } catch {
        return null;
      }
    },
    lastContact() {
      const at = Number(store()?.getItem(CONTACT) ?? Number.NaN);
      return Number.isFinite(at) ? at : null;
    },
    clear() {
      const s = store();
      if (!s) return;
      const mine: string[] = [];
      for (let i = 0; i < s.length; i += 1) {
        const key = s.key(i);
        if (key?.startsWith(PREFIX)) mine.push(key);
      }
      for (const key of mine) s.removeItem(key);
    },
  };
}
