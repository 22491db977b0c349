/**
 * The identity of an action for deduplication: its kind and every field except the evidence, in a
 * stable order. Two occurrences with the same key are the same action (counted, first evidence
 * kept). Shared by the summarizer and mergeProfiles so both dedupe identically.
 */
import type { Action } from '../summary/actions';

export function actionKey(a: Action): string {
  // Path actions dominate real traces: build their key without sorting or stringifying.
  if (a.kind === 'path') return `path\u0000${a.access}\u0000${a.path}`;
  const rec = a as unknown as Record<string, unknown>;
  const keys = Object.keys(rec)
    .filter((k) => k !== 'ev' && k !== 'kind' && rec[k] !== undefined)
    .sort();
  let key = a.kind;
  for (const k of keys) key += `\u0000${k}=${JSON.stringify(rec[k])}`;
  return key;
}
