/**
 * What one journal entry says about a sandbox denial, before anything is attributed to a unit or
 * an option. Four shapes, each seen on the test hosts:
 *  - the kernel's seccomp audit record (`audit: type=1326 … pid=… exe="…" sig=31 syscall=49 …
 *    code=0x80000000`): a filter killed (sig 31, SIGSYS), trapped, or only logged (code
 *    0x7ffc0000, SECCOMP_RET_LOG: what `SystemCallLog=` produces) a call. An errno-returning filter
 *    (hush's `~…:EPERM` lists, SystemCallErrorNumber=) leaves no record: those show only in what the
 *    service itself logs;
 *  - a service's own log line with an errno: `open() "/home/weblogs/access.log" failed (13:
 *    Permission denied)`, `bind() to 0.0.0.0:80 failed (1: Operation not permitted)`, `socket()
 *    failed (97: Address family not supported by protocol)`;
 *  - the manager's exit report: `Main process exited, code=killed, status=31/SYS`, or an exec
 *    setup failure (`status=226/NAMESPACE`, 2xx statuses are systemd's own);
 *  - failed starts and restart loops (`Failed with result …`, `Start request repeated too quickly`).
 */
import type { JournalEntry } from './journal';
import { X86_64_SYSCALLS } from './syscallNumbers.generated';

/** AUDIT_ARCH values the kernel prints as `arch=`. */
const AUDIT_ARCH: Record<string, string> = {
  c000003e: 'x86_64',
  '40000003': 'i386',
  c00000b7: 'aarch64',
  '40000028': 'arm',
  c0000015: 'ppc64le',
  '80000016': 's390x',
  c00000f3: 'riscv64',
};

/** The SECCOMP_RET_* action in the record's `code=` (its top 16 bits). */
export type SeccompAction = 'kill-process' | 'kill-thread' | 'trap' | 'errno' | 'trace' | 'log' | 'other';

function seccompAction(code: number): SeccompAction {
  const a = (code >>> 16) & 0xffff;
  if (a === 0x8000) return 'kill-process';
  if (a === 0x0000) return 'kill-thread';
  if (a === 0x0003) return 'trap';
  if (a === 0x0005) return 'errno';
  if (a === 0x7ff0) return 'trace';
  if (a === 0x7ffc) return 'log';
  return 'other';
}

export interface SeccompFinding {
  kind: 'seccomp';
  action: SeccompAction;
  arch: string;
  number: number;
  /** The syscall's name, when the number is known for the arch (x86_64 table). */
  syscall?: string;
  pid: number;
  exe?: string;
  comm?: string;
  uid?: number;
}

export type ErrnoName = 'EPERM' | 'EACCES' | 'EROFS' | 'ENOENT' | 'EAFNOSUPPORT';

export interface ErrnoFinding {
  kind: 'errno';
  errno: ErrnoName;
  /** What failed, when the message names it. */
  op?: 'open' | 'bind' | 'connect' | 'socket' | 'exec' | 'other';
  path?: string;
  address?: string;
  port?: number;
  pid?: number;
}

export interface ExitFinding {
  kind: 'exit';
  /** `killed` with SYS (31), or an exec setup failure (`exited` with a 2xx status). */
  code: string;
  status: string;
}

export interface StartFailedFinding {
  kind: 'start-failed';
  why: 'result' | 'start-limit';
  result?: string;
}

export type Finding = SeccompFinding | ErrnoFinding | ExitFinding | StartFailedFinding;

/** errno numbers and their strerror texts (glibc) for the errors a sandbox produces. */
const ERRNOS: ReadonlyArray<{ name: ErrnoName; number: number; text: string }> = [
  { name: 'EPERM', number: 1, text: 'Operation not permitted' },
  { name: 'ENOENT', number: 2, text: 'No such file or directory' },
  { name: 'EACCES', number: 13, text: 'Permission denied' },
  { name: 'EROFS', number: 30, text: 'Read-only file system' },
  { name: 'EAFNOSUPPORT', number: 97, text: 'Address family not supported by protocol' },
];

/** systemd's exec setup failures (src/basic/exit-status.h): which sandbox step failed. */
export const SETUP_FAILURES: Readonly<Record<string, string>> = {
  '218/CAPABILITIES': 'setting up capabilities',
  '226/NAMESPACE': 'setting up the mount namespace',
  '228/SECCOMP': 'installing the seccomp filter',
  '231/SMACK_PROCESS_LABEL': 'setting the SMACK label',
  '233/RUNTIME_DIRECTORY': 'creating a runtime directory',
  '238/STATE_DIRECTORY': 'creating a state directory',
  '244/CONFIGURATION_DIRECTORY': 'creating a configuration directory',
  '245/LOGS_DIRECTORY': 'creating a logs directory',
  '239/CACHE_DIRECTORY': 'creating a cache directory',
  '240/KEYRING': 'setting up the keyring',
  '241/NUMA': 'NUMA policy',
  '242/TIMEOUT': 'timeout',
  '200/CHDIR': 'changing to WorkingDirectory=',
  '203/EXEC': 'executing the program',
  '212/USER': 'User=',
  '214/SETSCHEDULER': 'the scheduling policy',
  '217/USER': 'User=',
  '220/SECUREBITS': 'securebits',
  '224/ADDRESS_FAMILIES': 'RestrictAddressFamilies=',
  '225/PERSONALITY': 'Personality=',
  '227/NO_NEW_PRIVILEGES': 'NoNewPrivileges=',
  '230/SELINUX_CONTEXT': 'the SELinux context',
  '243/CREDENTIALS': 'credentials',
  '249/BPF': 'a BPF program (IPAddressDeny=, SocketBind*=, RestrictFileSystems=)',
};

const num = (s: string | undefined): number | undefined => {
  if (s === undefined || !/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
};

/** `key=value` / `key="value"` pairs of an audit record. */
function auditFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/(\w+)=("([^"]*)"|\S+)/g)) {
    const key = m[1] as string;
    if (!out.has(key)) out.set(key, m[3] ?? (m[2] as string));
  }
  return out;
}

function parseSeccomp(message: string): SeccompFinding | undefined {
  // journald writes the record as the kernel printed it: `audit: type=1326 audit(…): …`; with
  // journald's audit socket on, `_TRANSPORT=audit` and the message starts with the fields.
  if (!/\btype=1326\b|^(?:audit\([^)]*\): )?auid=.*\bsyscall=\d+.*\bcode=0x/.test(message)) return undefined;
  const f = auditFields(message.replace(/^.*?type=1326 audit\([^)]*\):\s*/, ''));
  const number = num(f.get('syscall'));
  const pid = num(f.get('pid'));
  const code = f.get('code');
  if (number === undefined || pid === undefined || !code || !/^0x[0-9a-f]+$/i.test(code)) return undefined;
  const arch = AUDIT_ARCH[(f.get('arch') ?? '').toLowerCase()] ?? `arch=${f.get('arch') ?? '?'}`;
  const name = arch === 'x86_64' ? X86_64_SYSCALLS[number] : undefined;
  const uid = num(f.get('uid'));
  const exe = f.get('exe');
  const comm = f.get('comm');
  return {
    kind: 'seccomp',
    action: seccompAction(parseInt(code, 16)),
    arch,
    number,
    ...(name ? { syscall: name } : {}),
    pid,
    ...(exe !== undefined ? { exe } : {}),
    ...(comm !== undefined ? { comm } : {}),
    ...(uid !== undefined ? { uid } : {}),
  };
}

/** The errno a service's message reports: `(13: Permission denied)`, `: Permission denied`, `EACCES`. */
function errnoOf(message: string): ErrnoName | undefined {
  const m = /\((\d+): [^)]*\)/.exec(message);
  if (m) return ERRNOS.find((e) => e.number === Number(m[1]))?.name;
  for (const e of ERRNOS) if (message.includes(e.text)) return e.name;
  const bare = /\b(EPERM|EACCES|EROFS|EAFNOSUPPORT)\b/.exec(message);
  return bare ? (bare[1] as ErrnoName) : undefined;
}

/** The first absolute path in the message: quoted ("…", '…', `…`) first, else a bare token. */
export function pathOf(message: string): string | undefined {
  const quoted = /["'`‘“](\/[^"'`’”\s]*)["'`’”]/.exec(message);
  if (quoted) return clean(quoted[1] as string);
  const bare = /(?:^|[\s(:=,])(\/(?:[\w.@+~-]+\/?)+)/.exec(message);
  return bare ? clean(bare[1] as string) : undefined;
}

function clean(p: string): string | undefined {
  const trimmed = p.replace(/[.,:;)]+$/, '');
  if (trimmed === '' || trimmed.includes('\0')) return undefined;
  // `..` would let a logged line name a path other than the one it touched
  if (trimmed.split('/').some((s) => s === '..')) return undefined;
  return trimmed.length > 1 ? trimmed.replace(/\/+$/, '') : trimmed;
}

/** `bind() to 0.0.0.0:80`, `connect() to [::1]:5432`, `socket() 0.0.0.0:80`. */
function netOf(message: string): Pick<ErrnoFinding, 'op' | 'address' | 'port'> | undefined {
  const m = /\b(bind|connect|socket|listen)\(\)(?: to)? (\[[0-9a-fA-F:.]+\]|[0-9.]+|\*):(\d{1,5})\b/.exec(
    message,
  );
  if (m) {
    const op = m[1] === 'listen' ? 'bind' : (m[1] as 'bind' | 'connect' | 'socket');
    const address = (m[2] as string).replace(/^\[|\]$/g, '');
    const port = Number(m[3]);
    return { op, address: address === '*' ? '0.0.0.0' : address, ...(port <= 65535 ? { port } : {}) };
  }
  const bare = /\b(bind|connect|socket)\b/.exec(message);
  return bare ? { op: bare[1] as 'bind' | 'connect' | 'socket' } : undefined;
}

/**
 * The manager's own messages, told apart by the fields journald sets itself (a service can log any
 * UNIT= or MESSAGE it likes, but not its _PID or cgroup): pid 1 in init.scope, or a user manager
 * (its init.scope).
 */
export function fromManager(e: JournalEntry): boolean {
  return (e._PID === '1' && e._SYSTEMD_UNIT === 'init.scope') || e._SYSTEMD_USER_UNIT === 'init.scope';
}

/**
 * The finding in one entry, or undefined. Kernel records are recognised by their text; the other
 * kinds by the manager's structured fields (EXIT_CODE/EXIT_STATUS, MESSAGE_ID) or the errno text of
 * a service's own message.
 */
export function findingOf(e: JournalEntry): Finding | undefined {
  const message = e.MESSAGE ?? '';
  const transport = e._TRANSPORT ?? '';
  // Only the kernel's own records count: a root process can write /dev/kmsg too, but its lines carry
  // a userspace facility (LOG_USER and up), never LOG_KERN (0).
  if (transport === 'audit') return parseSeccomp(message);
  if (transport === 'kernel') return e.SYSLOG_FACILITY === '0' ? parseSeccomp(message) : undefined;
  if (fromManager(e) && (e.UNIT !== undefined || e.USER_UNIT !== undefined)) {
    if (e.EXIT_CODE && e.EXIT_STATUS) {
      const code = e.EXIT_CODE;
      const status = /status=(\d+\/[A-Z_]+)/.exec(message)?.[1] ?? e.EXIT_STATUS;
      if (code === 'killed' || code === 'dumped') {
        if (e.EXIT_STATUS === '31' || /SYS$/.test(status)) return { kind: 'exit', code, status };
        return undefined;
      }
      if (code === 'exited' && status in SETUP_FAILURES) return { kind: 'exit', code, status };
      return undefined;
    }
    if (/Start request repeated too quickly|start-limit-hit/.test(message))
      return { kind: 'start-failed', why: 'start-limit' };
    const r = /Failed with result '([\w-]+)'/.exec(message);
    if (r) return { kind: 'start-failed', why: 'result', result: r[1] as string };
    return undefined;
  }
  const errno = errnoOf(message);
  if (!errno) return undefined;
  const net = netOf(message);
  const path = pathOf(message);
  const pid = num(e._PID);
  if (net && (net.op === 'bind' || net.op === 'connect' || net.op === 'socket') && (net.address || !path)) {
    return { kind: 'errno', errno, ...net, ...(pid !== undefined ? { pid } : {}) };
  }
  if (!path) return undefined;
  const op = /\bexec(ve|ute)?\b/i.test(message)
    ? 'exec'
    : /\bopen(at)?\(\)|\bopen\b/i.test(message)
      ? 'open'
      : 'other';
  return { kind: 'errno', errno, op, path, ...(pid !== undefined ? { pid } : {}) };
}
