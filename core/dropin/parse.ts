/**
 * Reads a unit file or drop-in the way systemd's config parser (conf-parser.c) does: lines end at
 * LF, CR or NUL (read_line), `#`/`;`
 * comment lines, `[Section]` headers, `Key=Value` with whitespace stripped around both, and lines
 * ending in a backslash continued on the next line (the backslash becomes a space; comment lines
 * inside a continuation are skipped). Values are kept raw: each option's own parser decides how
 * to split and unquote them (see normalize.ts).
 */

export interface ParsedAssignment {
  section: string;
  option: string;
  /** Raw value (specifiers and quotes as written); '' is an empty assignment, which resets. */
  value: string;
  /** 1-based line where the assignment starts. */
  line: number;
}

export interface ParsedUnitFile {
  /** Section names in order of first appearance. */
  sections: string[];
  /** Every assignment in file order. */
  assignments: ParsedAssignment[];
  /** Lines systemd would warn about and ignore (no `=`, or outside any section). */
  ignored: { line: number; text: string; why: string }[];
}

const COMMENT_START = /^[#;]/;

export function parseDropIn(text: string): ParsedUnitFile {
  const result: ParsedUnitFile = { sections: [], assignments: [], ignored: [] };
  // systemd ends a line at LF, CR (alone too) or NUL: a lone CR is a line break for it.
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|[\n\r\0]/);
  let section: string | null = null;
  let continuation: { text: string; line: number } | null = null;

  const handle = (raw: string, lineNo: number): void => {
    const l = raw.trim();
    if (l === '') return;
    if (l.startsWith('[')) {
      if (!l.endsWith(']')) {
        result.ignored.push({ line: lineNo, text: raw, why: 'invalid section header' });
        return;
      }
      section = l.slice(1, -1);
      if (!result.sections.includes(section)) result.sections.push(section);
      return;
    }
    const eq = l.indexOf('=');
    if (eq < 0) {
      result.ignored.push({ line: lineNo, text: raw, why: 'missing "="' });
      return;
    }
    if (section === null) {
      result.ignored.push({ line: lineNo, text: raw, why: 'assignment outside of a section' });
      return;
    }
    result.assignments.push({
      section,
      option: l.slice(0, eq).trim(),
      value: l.slice(eq + 1).trim(),
      line: lineNo,
    });
  };

  for (let idx = 0; idx < lines.length; idx++) {
    const raw = lines[idx] as string;
    const lineNo = idx + 1;
    // Comment lines are skipped, also in the middle of a continuation.
    if (COMMENT_START.test(raw.replace(/^[ \t]+/, ''))) continue;
    const body: string = continuation === null ? raw : continuation.text + raw;
    const start: number = continuation === null ? lineNo : continuation.line;
    if (endsWithUnescapedBackslash(raw)) {
      continuation = { text: body.slice(0, -1) + ' ', line: start };
      continue;
    }
    continuation = null;
    handle(body, start);
  }
  if (continuation !== null) handle(continuation.text, continuation.line);
  return result;
}

/** A trailing backslash continues the line unless it is itself escaped (`\\`). */
function endsWithUnescapedBackslash(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) n++;
  return n % 2 === 1;
}
