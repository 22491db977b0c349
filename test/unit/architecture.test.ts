// ARCHITECTURE.md's room table against the imports the code really has (scripts/architecture.cjs
// holds the rules eslint enforces; this keeps the document describing them true).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface Architecture {
  ROOT: string;
  OUTER_ROOMS: Record<string, string[]>;
  roomOf(file: string): string;
  isTestFile(file: string): boolean;
  resolveImport(fromFile: string, spec: string): string;
  stageOrder(): string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const architecture = require('../../scripts/architecture.cjs') as Architecture;
const { ROOT } = architecture;

const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]*)['"]/gm;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Room → the other rooms its non-test files import. */
function realImports(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const top of ['core', ...Object.keys(architecture.OUTER_ROOMS)]) {
    for (const file of tsFiles(path.join(ROOT, top))) {
      if (architecture.isTestFile(file)) continue;
      const from = architecture.roomOf(file);
      const targets = graph.get(from) ?? new Set<string>();
      graph.set(from, targets);
      for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const to = architecture.roomOf(architecture.resolveImport(file, m[1] as string));
        if (to !== from) targets.add(to);
      }
    }
  }
  return graph;
}

/** The "Rooms" table: each row's folders → the rooms its "may import" cell names. */
function documentedImports(doc: string): Map<string, Set<string>> {
  const table = new Map<string, Set<string>>();
  const names = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
  const room = (name: string) =>
    name === 'core/*' ? name : architecture.roomOf(path.join(ROOT, name.replace(/\/$/, ''), 'x.ts'));
  for (const line of doc.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 5 || !cells[1]?.startsWith('`')) continue;
    // Backticked folders only: a cell may also name the types it imports (`Plan`, `Action`).
    const imports = names(cells[3] ?? '').filter((n) => /^(core\/|[a-z]+\/$)/.test(n));
    for (const folder of names(cells[1])) table.set(room(folder), new Set(imports.map(room)));
  }
  return table;
}

const doc = readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');
const documented = documentedImports(doc);
const real = realImports();

describe('ARCHITECTURE.md', () => {
  it('has a row for every room whose imports are ruled', () => {
    expect([...real.keys()].filter((r) => !documented.has(r)).sort()).toEqual([]);
  });

  it.each([...real.keys()].sort())('%s: the table names exactly the rooms it imports', (room) => {
    const claimed = documented.get(room) ?? new Set<string>();
    const imported = [...(real.get(room) ?? [])].sort();
    const covered = (r: string) => claimed.has(r) || (r.startsWith('core/') && claimed.has('core/*'));
    expect({ room, undocumented: imported.filter((r) => !covered(r)) }).toEqual({ room, undocumented: [] });
    const stale = [...claimed].filter((r) => r !== 'core/*' && !imported.includes(r)).sort();
    expect({ room, stale }).toEqual({ room, stale: [] });
  });

  it('states the order of the core stages eslint enforces', () => {
    expect(doc).toContain(architecture.stageOrder());
  });

  it('names every Action kind of core/summary/actions.ts', () => {
    const source = readFileSync(path.join(ROOT, 'core/summary/actions.ts'), 'utf8');
    const kinds = [...source.matchAll(/kind: z\.literal\('(\w+)'\)/g)].map((m) => m[1] as string);
    const line = doc.slice(doc.indexOf('- `Action`'), doc.indexOf('- `Profile`'));
    expect(kinds.length).toBeGreaterThan(20);
    expect(kinds.filter((k) => !new RegExp(`\`${k}[\` ]`).test(line))).toEqual([]);
  });
});
