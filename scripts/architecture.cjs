// The import rules of ARCHITECTURE.md as data, in one place: eslint.config.mjs reports every import
// that breaks them (rule hush/import-boundaries), and test/unit/architecture.test.ts checks that
// ARCHITECTURE.md's room table states exactly the imports the code has.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/**
 * The stages of core/, lowest first. A stage imports only from stages below it; stages sharing a
 * slot may import each other (none do today). core/profile sits below core/summary: the summarizer
 * builds the Profile document core/profile defines, and core/profile names Actions only through
 * core/summary/actions.ts, a vocabulary leaf.
 */
const CORE_STAGES = [
  ['strace'],
  ['profile'],
  ['summary'],
  ['systemd'],
  ['resolve'],
  ['dropin'],
  ['exposure'],
  ['tracing'],
  ['denials'],
  ['ebpf'],
  ['profiling'],
];

/** Outside core/: the rooms each may import (`core/*` = every core stage). Other folders are free. */
const OUTER_ROOMS = {
  remote: ['core/*'],
  provider: ['core/*', 'remote', 'components'],
  components: ['core/*', 'provider'],
  cli: ['core/*', 'remote'],
};

/** The room of a repository file: `core/<stage>`, a top-level folder, or `(root)`. */
function roomOf(file) {
  const seg = path.relative(ROOT, file).split(path.sep);
  if (seg[0] === 'core' && seg.length > 2) return `core/${seg[1]}`;
  return seg.length > 1 ? seg[0] : '(root)';
}

/** Tests and their helpers may reach across stages (never out of core/). */
function isTestFile(file) {
  return /\.test\.ts$|(^|[/\\])(testkit|testHelpers|test)\.ts$|[/\\]fixtures[/\\]/.test(file);
}

/** The file a relative import names, as TypeScript resolves it (`x` → `x.ts`, `x/index.ts`). */
function resolveImport(fromFile, spec) {
  const target = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [`${target}.ts`, path.join(target, 'index.ts'), target]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return target;
}

const RELATIVE_IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]\.{1,2}\//m;
const leafCache = new Map();
/**
 * A vocabulary leaf: a core file that imports nothing of hush (syscall groups, unit names, exec
 * directives, device and namespace lists…). Any stage may use one: it cannot close a cycle.
 */
function isVocabularyLeaf(file) {
  if (!leafCache.has(file)) {
    let leaf = false;
    try {
      leaf = roomOf(file).startsWith('core/') && !RELATIVE_IMPORT.test(fs.readFileSync(file, 'utf8'));
    } catch {
      leaf = false;
    }
    leafCache.set(file, leaf);
  }
  return leafCache.get(file);
}

function stageRank(room) {
  const name = room.slice('core/'.length);
  return CORE_STAGES.findIndex((slot) => slot.includes(name));
}

function stageOrder() {
  return CORE_STAGES.map((slot) => slot.join(' ⇄ ')).join(' → ');
}

/** Why `fromFile` may not import `spec`, or undefined when it may. */
function importViolation(fromFile, spec) {
  if (!spec.startsWith('.')) return undefined;
  const target = resolveImport(fromFile, spec);
  const from = roomOf(fromFile);
  const to = roomOf(target);
  if (from === to) return undefined;
  if (from.startsWith('core/')) {
    if (!to.startsWith('core/')) return `${from} imports ${to}: core/ never imports outside core/`;
    if (isTestFile(fromFile) || isVocabularyLeaf(target)) return undefined;
    const a = stageRank(from);
    const b = stageRank(to);
    if (a < 0 || b < 0)
      return `${from} imports ${to}: add the stage to CORE_STAGES in scripts/architecture.cjs`;
    if (b <= a) return undefined;
    return `${from} imports ${to}: core stages import only downward (${stageOrder()})`;
  }
  const allowed = OUTER_ROOMS[from];
  if (!allowed || isTestFile(fromFile)) return undefined;
  if (allowed.includes(to) || (to.startsWith('core/') && allowed.includes('core/*'))) return undefined;
  return `${from} imports ${to}: ${from}/ may import ${allowed.join(', ')} only (ARCHITECTURE.md)`;
}

module.exports = {
  ROOT,
  CORE_STAGES,
  OUTER_ROOMS,
  roomOf,
  isTestFile,
  resolveImport,
  isVocabularyLeaf,
  stageOrder,
  importViolation,
};
