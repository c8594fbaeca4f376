import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vitest/config';

// `npm run dev` proxies the functions and the relay to a running `parkshare dev`, so the
// gateway's relative config.json works unchanged from Vite's dev server.
const backend = process.env.PARKSHARE_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  // Relative asset URLs: the built app works from any path of any static host.
  base: './',
  plugins: [tailwindcss()],
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
  },
});
