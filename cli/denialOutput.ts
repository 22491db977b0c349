/** How `hush watch` and `hush apply --watch` print denials: one line each as they come, a summary at the end. */
import { mergedRelaxation, type Denial } from '../core/denials';
import type { WatchResult } from '../remote/watch';

const valueText = (v: string | readonly string[]) => (typeof v === 'string' ? v : v.join(' '));

/** One line per denial, for the progress stream. */
export function denialLine(d: Denial): string {
  return `denial at ${d.at} (${d.attribution}): ${d.summary}`;
}

/** The end-of-watch text: counts, each denial, and the relaxation as drop-in lines and apply flags. */
export function watchSummary(r: WatchResult): string {
  const lines = [
    `${r.unit}: ${r.denials.length} denial(s) in ${(r.durationMs / 1000).toFixed(0)} s ` +
      `(${r.rounds} journal read(s), ${r.entries} entries, ${r.pidsSeen} pid(s) seen in the unit)`,
  ];
  for (const d of r.denials) lines.push(`  ${d.at} ${d.summary}`);
  const fix = mergedRelaxation(r.denials);
  if (fix.length) {
    lines.push("relaxation (lines to add after hush's, or re-apply with the flags below):");
    for (const a of fix) lines.push(`  ${a.option}=${valueText(a.value)}`);
    const flags = [...new Set(r.denials.flatMap((d) => d.causes.flatMap((c) => c.applyFlags)))];
    if (flags.length) lines.push(`  hush apply flags: ${flags.join(' ')}`);
  }
  if (r.cursor) lines.push(`continue with --since-cursor '${r.cursor}'`);
  return lines.join('\n') + '\n';
}

/** JSON shape of a watch for --json. */
export function watchJson(r: WatchResult): Record<string, unknown> {
  return { ...r, relaxation: mergedRelaxation(r.denials) };
}
