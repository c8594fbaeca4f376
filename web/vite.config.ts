import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tailwindcss from '@tailwindcss/vite';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// Copied by Vite from public/ rather than built: the icons the manifest names.
const PUBLIC_SHELL = ['icons/icon-192.png', 'icons/icon-512.png', 'icons/maskable-512.png'];

/** dist/sw.js: scripts/service-worker.js with this build's files and a version of their content. */
function serviceWorker(): Plugin {
  return {
    name: 'parkshare-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = [
        ...Object.keys(bundle).filter((name) => !name.endsWith('.map')),
        ...PUBLIC_SHELL,
      ];
      const digest = createHash('sha256');
      for (const [name, item] of Object.entries(bundle).sort(([a], [b]) => a.localeCompare(b))) {
        digest.update(name).update(item.type === 'chunk' ? item.code : item.source);
      }
      const template = readFileSync(
        new URL('./scripts/service-worker.js', import.meta.url),
        'utf8',
      );
      this.emitFile({
        type: 'asset',
        fileName: 'sw.js',
        source: template
          .replace("'__VERSION__'", JSON.stringify(digest.digest('hex').slice(0, 16)))
          .replace('__FILES__', JSON.stringify(files.sort())),
      });
    },
  };
}

// `npm run dev` proxies the functions and the relay to a running `parkshare dev`, so the
// gateway's relative config.json works unchanged from Vite's dev server.
const backend = process.env.PARKSHARE_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  // Relative asset URLs: the built app works from any path of any static host.
  base: './',
  plugins: [tailwindcss(), serviceWorker()],
  // esbuild's automatic runtime builds React without @vitejs/plugin-react (no Fast Refresh
  // in dev; a full reload is fine for an app this size).
  esbuild: { jsx: 'automatic' },
  build: { outDir: 'dist', target: 'es2022', sourcemap: false },
  server: {
    proxy: {
      '/fn': backend,
      '/ws': { target: backend.replace(/^http/, 'ws'), ws: true },
    },
  },
  test: {
    include: ['tests/**/*.test.ts', 'src/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['tests/setup-i18n.ts'],
  },
});
