/**
 * Test helpers: summarize strace text through the real parser, and describe actions compactly.
 * (Not a test file itself; imported by the *.test.ts files of this folder and cli/.)
 */
import { parseStraceText } from '../strace';
import type { Profile } from '../profile/schema';
import type { Action } from './actions';
import { HANDLED_SYSCALLS } from './handlers';
import { createSummarizer } from './summarizer';
import type { SummarizerOptions } from './summarizer';

/** Lines of strace output (one per array item) → the profile the summary builds. */
export function summarizeLines(lines: readonly string[], opts: SummarizerOptions = {}): Profile {
  const { events, unparsed } = parseStraceText(lines.join('\n') + '\n', {
    fullParse: (n) => HANDLED_SYSCALLS.has(n),
  });
  if (unparsed.length > 0) throw new Error(`test input did not parse: ${JSON.stringify(unparsed)}`);
  const s = createSummarizer(opts);
  for (const ev of events) s.push(ev);
  return s.finish({ source: 'test' });
}

/** One action as a short string: `create /tmp/x`, `net bind AF_INET 0.0.0.0:80 SOCK_STREAM`… */
export function describe(a: Action): string {
  switch (a.kind) {
    case 'path':
      return `${a.access} ${a.path}`;
    case 'net':
      return [
        'net',
        a.op,
        a.family,
        a.address !== undefined || a.port !== undefined ? `${a.address ?? '*'}:${a.port ?? '*'}` : '',
        a.type ?? '',
      ]
        .filter(Boolean)
        .join(' ');
    case 'socket':
      return `socket ${a.family} ${a.type} ${a.protocol}`;
    case 'namespace':
      return `namespace ${a.ns} via ${a.via}`;
    case 'mknod':
      return `mknod ${a.nodeType} ${a.path}${a.major !== undefined ? ` ${a.major}:${a.minor}` : ''}`;
    case 'mount':
      return `mount ${a.op}${a.target !== undefined ? ` ${a.target}` : ''}${a.propagatesToHost ? ' shared' : ''}`;
    case 'setuidBits':
      return `setuidBits ${a.path}`;
    case 'killOther':
      return `killOther ${a.target} ${a.signal}`;
    case 'memlock':
      return `memlock${a.hugepages ? ' hugepages' : ''}`;
    case 'realtime':
      return `realtime ${a.policy}`;
    case 'kernelModule':
      return `kernelModule ${a.op}`;
    case 'ipc':
      return `ipc ${a.mechanism}`;
    case 'keyring':
      return `keyring ${a.op}`;
    case 'reboot':
      return `reboot ${a.op}`;
    case 'personality':
      return `personality ${a.persona}`;
    case 'setCredentials':
      return `setCredentials ${a.call}`;
    case 'chown':
      return `chown${a.path !== undefined ? ` ${a.path}` : ''}`;
    default:
      return a.kind;
  }
}

/** The profile's actions, described, in order. */
export function actionList(p: Profile): string[] {
  return p.actions.map((pa) => describe(pa.action));
}
