import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import architecture from './scripts/architecture.cjs';

/** ARCHITECTURE.md's import rules (scripts/architecture.cjs) on every import, export-from and require. */
const importBoundaries = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    const check = (source) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
      const why = architecture.importViolation(context.filename, source.value);
      if (why) context.report({ node: source, message: why });
    };
    return {
      ImportDeclaration: (n) => check(n.source),
      ExportNamedDeclaration: (n) => check(n.source),
      ExportAllDeclaration: (n) => check(n.source),
      ImportExpression: (n) => check(n.source),
      CallExpression: (n) => {
        if (n.callee.type === 'Identifier' && n.callee.name === 'require') check(n.arguments[0]);
      },
    };
  },
};

const DATA_LITERALS = new Set(['ObjectExpression', 'ArrayExpression', 'TemplateLiteral']);
const FUNCTIONS = ['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression'];

/**
 * A function longer than one screen of logic is a warning. Lines of data literals (option tables,
 * shell scripts in template literals, object results) do not count, nor blank and comment lines:
 * a declaration table is read entry by entry, not as control flow.
 */
const functionLength = {
  meta: { type: 'suggestion', schema: [{ type: 'object', properties: { max: { type: 'integer' } } }] },
  create(context) {
    const max = context.options[0]?.max ?? 80;
    const source = context.sourceCode;
    const commentLines = new Set();
    for (const c of source.getAllComments()) {
      for (let l = c.loc.start.line; l <= c.loc.end.line; l++) commentLines.add(l);
    }
    const frames = [];
    const enter = () => frames.push(new Set());
    const exit = (node) => {
      const dataLines = frames.pop();
      let count = 0;
      for (let l = node.loc.start.line; l <= node.loc.end.line; l++) {
        if (dataLines.has(l) || commentLines.has(l) || source.lines[l - 1].trim() === '') continue;
        count++;
      }
      if (count > max) {
        context.report({
          node,
          loc: node.loc.start,
          message: `function has ${count} lines of logic (more than ${max}, data literals aside): split it into steps`,
        });
      }
    };
    const visitors = {};
    for (const f of FUNCTIONS) {
      visitors[f] = enter;
      visitors[`${f}:exit`] = exit;
    }
    for (const d of DATA_LITERALS) {
      visitors[d] = (node) => {
        const frame = frames[frames.length - 1];
        if (!frame || node.loc.start.line === node.loc.end.line) return;
        // The opening line still holds code (`return {`, `const x = [`): only the lines after it are data.
        for (let l = node.loc.start.line + 1; l <= node.loc.end.line; l++) frame.add(l);
      };
    }
    return visitors;
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: {
      hush: { rules: { 'import-boundaries': importBoundaries, 'function-length': functionLength } },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'hush/import-boundaries': 'error',
    },
  },
  {
    files: ['core/**/*.ts', 'remote/**/*.ts', 'provider/**/*.ts', 'components/**/*.ts', 'cli/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'hush/function-length': ['warn', { max: 80 }] },
  },
);
