import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './eslint/layers.js';

export default tseslint.config(
  { ignores: ['node_modules/**', 'runs/**', 'fixtures/app/dist/**', 'fixtures/app/frontend/**', '**/*.schema.json', 'loadtests/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', fetch: 'readonly', AbortSignal: 'readonly', performance: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' } },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'No TypeScript enums: use `as const` arrays/objects and derived unions.' }],
    },
  },
  {
    files: ['scripts/**', 'bin/**', 'fixtures/app/src/**', 'fixtures/app/test/**', 'fixtures/app/bench/**', 'fixtures/app/scripts/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Folders of src/ import downward only: the order and the reasons are in eslint/layers.js.
    files: ['src/**/*.ts'],
    plugins: { prodlike: layers },
    rules: { 'prodlike/import-layers': 'error' },
  },
);
