/**
 * Normalised drop-in content for drift detection: what systemd would end up with for each option,
 * independent of comments, whitespace, quoting style, line continuations, and item order where
 * the option's semantics make order irrelevant (see syntax.ts).
 */
import { parseDropIn, type ParsedUnitFile } from './parse';
import { readPathItems } from './pathItems';
import { splitWords, unescapeSpecifiers } from './quote';
import { optionSyntax } from './syntax';

/**
 * Per section, per option: the canonical effective value.
 * - scalar options: one string (booleans spelled `yes`/`no`), '' when explicitly reset to the default;
 * - list options: the canonical items since the last reset: for `words` options consecutive lines
 *   of the same polarity merge into one sorted, de-duplicated segment (`~` marks a deny segment);
 *   for `lines` options one entry per item. An explicit reset with nothing after it is `[]`.
 */
export type NormalizedDropIn = Record<string, Record<string, string | string[]>>;

const TRUE_WORDS = new Set(['1', 'yes', 'y', 'true', 't', 'on']);
const FALSE_WORDS = new Set(['0', 'no', 'n', 'false', 'f', 'off']);

function canonicalBoolean(value: string): string | undefined {
  const v = value.toLowerCase();
  if (TRUE_WORDS.has(v)) return 'yes';
  if (FALSE_WORDS.has(v)) return 'no';
  return undefined;
}

interface Segment {
  inverted: boolean;
  items: string[];
}

function renderSegments(segments: Segment[], ordered: boolean): string[] {
  const merged: Segment[] = [];
  for (const seg of segments) {
    const last = merged[merged.length - 1];
    if (last && last.inverted === seg.inverted) last.items.push(...seg.items);
    else merged.push({ inverted: seg.inverted, items: [...seg.items] });
  }
  return merged.map((seg) => {
    const items = ordered ? seg.items : [...new Set(seg.items)].sort();
    return (seg.inverted ? '~' : '') + items.join(' ');
  });
}

export function normalizeDropIn(input: string | ParsedUnitFile): NormalizedDropIn {
  const parsed = typeof input === 'string' ? parseDropIn(input) : input;
  // Per section/option: state while folding the assignments in order.
  const scalars = new Map<string, string>();
  const lists = new Map<string, Segment[] | string[]>();
  const key = (section: string, option: string): string => `${section}\u0000${option}`;

  for (const a of parsed.assignments) {
    const k = key(a.section, a.option);
    const syntax = optionSyntax(a.option);
    const value = a.value;
    if (syntax.kind === 'scalar') {
      // '' = explicitly reset to the default, which overrides the unit's own value (unlike absence).
      scalars.set(k, value === '' ? '' : (canonicalBoolean(value) ?? unescapeSpecifiers(value)));
      continue;
    }
    if (value === '') {
      lists.set(k, []);
      continue;
    }
    if (syntax.kind === 'lines') {
      const prev = (lists.get(k) as string[] | undefined) ?? [];
      const item = syntax.paths
        ? readPathItems(syntax.paths, value).join(' ')
        : unescapeSpecifiers(splitWords(value).join(' '));
      lists.set(k, [...prev, item]);
      continue;
    }
    if (syntax.booleanReplaces) {
      const b = canonicalBoolean(value);
      if (b !== undefined) {
        lists.set(k, [{ inverted: false, items: [b] }]);
        continue;
      }
    }
    const inverted = syntax.invertible && value.startsWith('~');
    const items = syntax.paths
      ? readPathItems(syntax.paths, value)
      : splitWords(inverted ? value.slice(1) : value).map(unescapeSpecifiers);
    const prev = (lists.get(k) as Segment[] | undefined) ?? [];
    lists.set(k, [...prev, { inverted, items }]);
  }

  const out: NormalizedDropIn = {};
  const put = (k: string, v: string | string[]): void => {
    const [section, option] = k.split('\u0000') as [string, string];
    (out[section] ??= {})[option] = v;
  };
  for (const [k, v] of scalars) put(k, v);
  for (const [k, v] of lists) {
    const option = k.split('\u0000')[1] as string;
    const syntax = optionSyntax(option);
    if (syntax.kind === 'lines') {
      const items = v as string[];
      put(k, syntax.ordered ? items : [...items].sort());
    } else if (syntax.kind === 'words') {
      put(k, renderSegments(v as Segment[], syntax.ordered === true));
    }
  }
  // Stable key order so that JSON of the result is byte-stable.
  const sorted: NormalizedDropIn = {};
  for (const section of Object.keys(out).sort()) {
    const opts = out[section] as Record<string, string | string[]>;
    sorted[section] = Object.fromEntries(
      Object.keys(opts)
        .sort()
        .map((o) => [o, opts[o] as string | string[]]),
    );
  }
  return sorted;
}

export interface DropInDifference {
  section: string;
  option: string;
  /** Normalised value in a (undefined = not set there). */
  a: string | string[] | undefined;
  b: string | string[] | undefined;
}

export interface DropInComparison {
  equal: boolean;
  differences: DropInDifference[];
}

/** Compares two drop-ins (text or parsed) by normalised content and lists the options that differ. */
export function compareDropIns(a: string | ParsedUnitFile, b: string | ParsedUnitFile): DropInComparison {
  const na = normalizeDropIn(a);
  const nb = normalizeDropIn(b);
  const differences: DropInDifference[] = [];
  const sections = [...new Set([...Object.keys(na), ...Object.keys(nb)])].sort();
  for (const section of sections) {
    const sa = na[section] ?? {};
    const sb = nb[section] ?? {};
    const options = [...new Set([...Object.keys(sa), ...Object.keys(sb)])].sort();
    for (const option of options) {
      const va = sa[option];
      const vb = sb[option];
      if (JSON.stringify(va) !== JSON.stringify(vb)) differences.push({ section, option, a: va, b: vb });
    }
  }
  return { equal: differences.length === 0, differences };
}
