// ESLint for the app: JavaScript's and typescript-eslint's recommended rules, the rules of
// hooks, and nothing that Prettier decides (eslint-config-prettier turns those off).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Built, and generated from web/openapi.json by openapi-typescript.
  globalIgnores(['dist/', 'src/api/openapi.d.ts']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // The two rules of hooks. The plugin's other recommended rules check code for the React
    // Compiler, which this app does not use: they refuse its deliberate idioms (a ref holding
    // the latest callback, the time a dialog opened read once during render).
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  { languageOptions: { globals: globals.browser } },
  { files: ['scripts/**', '*.config.{js,ts}'], languageOptions: { globals: globals.node } },
  {
    // A template: the build fills in __FILES__ (vite.config.ts).
    files: ['scripts/service-worker.js'],
    languageOptions: { globals: { ...globals.serviceworker, __FILES__: 'readonly' } },
  },
  prettier,
);
