import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'data/**', 'bench/results/**', '.scratch/**', 'test-results/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        performance: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Layering: the SDK must stay usable without the server.
    files: ['src/sdk/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '../api/*',
            '../store/*',
            '../services/*',
            '../reconciler/*',
            '../providers/*',
            '../domain/*',
          ],
        },
      ],
    },
  },
  {
    // Layering: the HTTP layer reaches the database and the lifecycle only through services/.
    files: ['src/api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '../store/*',
            '../../store/*',
            '../reconciler/*',
            '../../reconciler/*',
            '../providers/*',
            '../../providers/*',
          ],
        },
      ],
    },
  },
  {
    // A provider sees plans and its own settings: never the database, the API or the engine.
    files: ['src/providers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '../api/*',
            '../../api/*',
            '../store/*',
            '../../store/*',
            '../services/*',
            '../../services/*',
            '../reconciler/*',
            '../../reconciler/*',
            'kysely',
            'fastify',
          ],
        },
      ],
    },
  },
  {
    // The engine moves clusters through the store and the provider port; HTTP is not its business.
    files: ['src/reconciler/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: ['../api/*', '../services/*', '../providers/simulator/*', 'kysely', 'fastify'],
        },
      ],
    },
  },
  {
    // The object store is a library under the providers and the services: it knows none of them.
    files: ['src/objects/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '../api/*',
            '../../api/*',
            '../services/*',
            '../../services/*',
            '../store/*',
            '../../store/*',
            '../reconciler/*',
            '../../reconciler/*',
            '../providers/*',
            '../../providers/*',
            'kysely',
            'fastify',
          ],
        },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '../api/*',
            '../store/*',
            '../services/*',
            '../reconciler/*',
            '../providers/*',
            'node:fs',
            'fastify',
            'kysely',
          ],
        },
      ],
    },
  },
  {
    // The console runs in the browser and reaches the server through the SDK only.
    files: ['web/src/**/*.{ts,tsx}'],
    ignores: ['web/src/**/*.test.ts'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        localStorage: 'readonly',
        sessionStorage: 'readonly',
        FormData: 'readonly',
        Blob: 'readonly',
        File: 'readonly',
        HTMLInputElement: 'readonly',
        HTMLDialogElement: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        Intl: 'readonly',
        atob: 'readonly',
        btoa: 'readonly',
        URLSearchParams: 'readonly',
      },
    },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '**/src/api/*',
            '**/src/store/*',
            '**/src/services/*',
            '**/src/reconciler/*',
            '**/src/providers/*',
            '**/src/domain/*',
            '**/src/objects/*',
            'node:*',
          ],
        },
      ],
    },
  },
)
