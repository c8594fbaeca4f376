// Prints the gzipped size of every JS file the build produced, and fails when the total is
// over the budget the issue sets (250 kB gzipped, kB = 1000 bytes).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 250_000;
const dist = fileURLToPath(new URL('../dist', import.meta.url));

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

let found;
try {
  found = [...files(dist)].filter((path) => path.endsWith('.js')).sort();
} catch {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(1);
}
if (found.length === 0) {
  console.error('no JS files in dist/');
  process.exit(1);
}

const kb = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
let total = 0;
for (const path of found) {
  const raw = readFileSync(path);
  const gzipped = gzipSync(raw, { level: 9 }).length;
  total += gzipped;
  console.log(
    `${relative(dist, path).padEnd(40)} ${kb(raw.length).padStart(10)} raw ${kb(gzipped).padStart(10)} gzip`,
  );
}
console.log(
  `${'total JS'.padEnd(40)} ${''.padStart(14)} ${kb(total).padStart(10)} gzip (budget ${kb(BUDGET_BYTES)})`,
);
if (total > BUDGET_BYTES) {
  console.error(`over budget by ${kb(total - BUDGET_BYTES)}`);
  process.exit(1);
}
