// ESLint (flat config): eslint's and typescript-eslint's recommended rules, without type
// information (fast: no program is built). `npm run lint` runs it with `prettier --check`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-output/', 'bench/results/', 'bench/.tmp/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // Unused names are errors, except a leading `_` that says "unused on purpose" and the rest
      // of a destructuring that drops some properties.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Nest types handlers and classes as `Function` (ExecutionContext.getHandler(), the context
      // creators, Reflector metadata); the code that meets those APIs says the same.
      '@typescript-eslint/no-unsafe-function-type': 'off',
    },
  },
);
