// Every key of every namespace in every language, with the same {{placeholders}} and a
// non-empty text; plural keys (`_one`, `_other`, …) are compared by their base key, since
// languages need different plural forms. Run by `npm run lint`; exits 1 listing what differs.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../src/i18n/locales/', import.meta.url).pathname;
const languages = readdirSync(root).sort();
const PLURAL = /_(zero|one|two|few|many|other)$/;
const problems = [];

function flatten(value, prefix = '') {
  if (typeof value === 'string') return { [prefix]: value };
  return Object.entries(value).reduce(
    (all, [key, inner]) => ({ ...all, ...flatten(inner, prefix ? `${prefix}.${key}` : key) }),
    {},
  );
}

const placeholders = (text) =>
  [...text.matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((m) => m[1]).sort();

const catalogues = {};
for (const language of languages) {
  for (const file of readdirSync(join(root, language))) {
    const namespace = file.replace(/\.json$/, '');
    const keys = flatten(JSON.parse(readFileSync(join(root, language, file), 'utf8')));
    (catalogues[namespace] ??= {})[language] = keys;
  }
}

for (const [namespace, byLanguage] of Object.entries(catalogues)) {
  const bases = (language) =>
    new Map(
      Object.entries(byLanguage[language] ?? {}).map(([key, text]) => [
        key.replace(PLURAL, ''),
        text,
      ]),
    );
  const all = new Set(languages.flatMap((language) => [...bases(language).keys()]));
  for (const language of languages) {
    if (!byLanguage[language]) problems.push(`${language}/${namespace}.json is missing`);
    const mine = bases(language);
    for (const key of all) {
      if (!mine.has(key)) problems.push(`${language}/${namespace}.json lacks "${key}"`);
    }
    for (const [key, text] of Object.entries(byLanguage[language] ?? {})) {
      if (!text.trim()) problems.push(`${language}/${namespace}.json: "${key}" is empty`);
      const english = byLanguage.en?.[key] ?? byLanguage.en?.[`${key.replace(PLURAL, '')}_other`];
      if (english !== undefined && placeholders(english).join() !== placeholders(text).join()) {
        problems.push(`${language}/${namespace}.json: "${key}" has other placeholders than en`);
      }
    }
  }
}

if (problems.length) {
  console.error(`message catalogues disagree:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
const counts = Object.entries(catalogues).map(
  ([namespace, byLanguage]) => `${namespace} ${Object.keys(byLanguage.en ?? {}).length}`,
);
console.log(`message catalogues agree (${languages.join(', ')}; keys: ${counts.join(', ')})`);
