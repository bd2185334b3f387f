// Lint rules: typed checks for the TypeScript sources; house rules from STYLE.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'native/build/**',
      'proto/gen/**',
      'coverage/**',
      '.tap/**',
      'out/**',
      'mini-cluster/**',
      'local-cluster/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Verifying code never imports issuing code, native/ or sockets (DESIGN.md §1).
    files: ['lib/attestation/**/*.ts', 'lib/tpm/**/*.ts'],
    ignores: ['lib/attestation/issuers/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/native/**', '**/native'], message: 'verifying code must not import native/' },
            { group: ['**/issuers/**'], message: 'verifying code must not import issuers' },
          ],
          paths: [
            'node:net',
            'node:tls',
            'node:http',
            'node:https',
            'node:child_process',
            'node:fs',
            'node:fs/promises',
            '@grpc/grpc-js',
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**', 'cli/**/*.ts', 'demo/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
);
