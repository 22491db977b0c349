/**
 * core/summary: strace events → Actions → Profile.
 *
 *   const profile = await summarizeStream(parseStraceBatches(log, { fullParse: (n) => HANDLED_SYSCALLS.has(n) }), { cwd: '/' });
 */
export { HANDLED_SYSCALLS, HANDLERS } from './handlers';
export { createSummarizer, summarizeStream } from './summarizer';
export type { Summarizer, SummarizerOptions, SummarizerStats } from './summarizer';
export { callCounts, returnedOk } from './success';
export { normalizeAbsolute, joinPath, parseDecoration, stableProcPath } from './paths';
export { Action, Evidence, PathAccessKind, NamespaceType, NodeType } from './actions';
export type { ActionKind } from './actions';
