// The linter (`npm run lint`, part of `npm test`): typescript-eslint with type information for
// the gateway, the simulated site, tests and benches; eslint-plugin-vue for the console. The
// rules are the ones that find bugs a type check misses (a promise nobody awaits or catches, a
// promise where a callback must return nothing, dead variables) plus a line length for code.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'

// Code lines, not prose: long strings, templates, regular expressions and comments may run on
// (the contract's messages are kept whole so they can be found with grep).
const maxLen = ['error', {
  code: 180,
  ignoreStrings: true,
  ignoreTemplateLiterals: true,
  ignoreRegExpLiterals: true,
  ignoreComments: true,
  ignoreUrls: true
}]

const unused = ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }]

const promises = {
  // A tap subtest's promise is safe to leave: tap itself reports what fails in it.
  '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] }],
  '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: true, attributes: false, properties: true, returns: true, variables: true } }]
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'docs/**', '.tap/**', 'web/dist/**', 'scripts/**', 'sim/tools/**', 'eslint.config.js'] },
  {
    files: ['*.ts', 'bin/**/*.ts', 'lib/**/*.ts', 'plugins/**/*.ts', 'routes/**/*.ts', 'sim/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      ...promises,
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': unused,
      'max-len': maxLen,
      // The codebase's own choices, kept as they are (types at the edges, `any` in tests' JSON).
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }]
    }
  },
  {
    files: ['web/src/**/*.ts', 'web/src/**/*.vue', 'web/vite.config.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended, ...vue.configs['flat/recommended']],
    languageOptions: {
      parser: vueParser,
      parserOptions: {
        parser: tseslint.parser,
        project: './web/tsconfig.json',
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.vue']
      },
      globals: { window: 'readonly', document: 'readonly', navigator: 'readonly', location: 'readonly', console: 'readonly' }
    },
    rules: {
      ...promises,
      'no-unused-vars': 'off',
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': unused,
      // Script as code; a template's length is its attribute values and text, which may run on.
      'vue/max-len': ['error', { ...maxLen[1], template: 180, ignoreHTMLAttributeValues: true, ignoreHTMLTextContents: true }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Layout of templates is the formatter's business, not a bug.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/first-attribute-linebreak': 'off',
      'vue/attribute-hyphenation': 'off',
      'vue/v-on-event-hyphenation': 'off'
    }
  }
)
