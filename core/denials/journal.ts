/**
 * The journal as `journalctl -o json` prints it: one JSON object per line, every field a string,
 * except that a field logged several times in one entry is an array, and a value that is not valid
 * UTF-8 (or has control characters) is an array of byte values. Only the fields the denial analysis
 * reads are kept; everything else is dropped by the schema.
 */
import { z } from 'zod';

/** A field value as journalctl writes it, reduced to one string (the first of several values). */
const FieldValue = z
  .union([z.string(), z.array(z.number().int().min(0).max(255)), z.array(z.string()), z.null()])
  .transform((v): string | undefined => {
    if (v === null) return undefined;
    if (typeof v === 'string') return v;
    if (v.length === 0) return undefined;
    if (typeof v[0] === 'string') return v[0] as string;
    return Buffer.from(v as number[]).toString('utf8');
  });

export const JournalEntry = z.object({
  __CURSOR: z.string().min(1),
  __REALTIME_TIMESTAMP: z.string().regex(/^\d+$/),
  _BOOT_ID: FieldValue.optional(),
  _TRANSPORT: FieldValue.optional(),
  _PID: FieldValue.optional(),
  _UID: FieldValue.optional(),
  _EXE: FieldValue.optional(),
  _COMM: FieldValue.optional(),
  _SYSTEMD_UNIT: FieldValue.optional(),
  _SYSTEMD_USER_UNIT: FieldValue.optional(),
  _SYSTEMD_INVOCATION_ID: FieldValue.optional(),
  /** Set by the manager on its messages about a unit (pid 1 or the user's manager). */
  UNIT: FieldValue.optional(),
  USER_UNIT: FieldValue.optional(),
  SYSLOG_IDENTIFIER: FieldValue.optional(),
  SYSLOG_FACILITY: FieldValue.optional(),
  MESSAGE: FieldValue.optional(),
  MESSAGE_ID: FieldValue.optional(),
  EXIT_CODE: FieldValue.optional(),
  EXIT_STATUS: FieldValue.optional(),
  INVOCATION_ID: FieldValue.optional(),
});
export type JournalEntry = z.output<typeof JournalEntry>;

/** The fields to ask journalctl for (`--output-fields=`), so the host sends no more than is read. */
export const JOURNAL_FIELDS: readonly string[] = Object.keys(JournalEntry.shape).filter(
  (k) => !k.startsWith('__'),
);

export interface ParsedJournal {
  entries: JournalEntry[];
  /** Lines that were not a journal entry (truncated output, noise), with why. */
  rejected: { line: number; why: string }[];
}

/** Parses `journalctl -o json` output (pure). Bad lines are counted, never fatal. */
export function parseJournalLines(text: string): ParsedJournal {
  const entries: JournalEntry[] = [];
  const rejected: ParsedJournal['rejected'] = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (l === '') return;
    let json: unknown;
    try {
      json = JSON.parse(l);
    } catch {
      rejected.push({ line: i + 1, why: 'not JSON' });
      return;
    }
    const r = JournalEntry.safeParse(json);
    if (r.success) entries.push(r.data);
    else rejected.push({ line: i + 1, why: r.error.issues.map((x) => x.path.join('.')).join(', ') });
  });
  return { entries, rejected };
}

/** The entry's time as an ISO string. */
export function entryTime(e: JournalEntry): string {
  return new Date(Number(BigInt(e.__REALTIME_TIMESTAMP) / 1000n)).toISOString();
}
