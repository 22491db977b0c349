/**
 * How each run of the real-CPU bench records the service: the commands come from hush's own
 * profiling code, not from copies of its flags. For hush's strace recorders the bench asks
 * `chooseTracing` for the trace set and `planWrapper` for the runtime drop-in exactly as a profiling
 * session does for a unit with the service's ExecStart and properties, then takes the ExecStart
 * line the drop-in re-declares and splits it back into argv with systemd's rules (`execArgv`), so
 * a flag, a trace-set or a quoting change in the wrapper reaches the bench by itself. The trace
 * FIFO is drained by the session's own reader copier (`readerCopier`: dd in 8 KiB blocks), into
 * this process instead of sshd (the controller parses elsewhere; sshd's encryption is not
 * measured here).
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import { chooseTracing } from '../../core/profiling/tracingChoice';
import type { UnitInfo } from '../../core/profiling/unitInfo';
import { planWrapper } from '../../core/profiling/wrapperPlan';
import { readerCopier } from '../../remote/profile/liveSink';
import { straceFlagsFromHelp } from '../../remote/probe';
import { HostFacts } from '../../core/profile/hostFacts';
import { parseSystemctlVersion } from '../../core/systemd/version';
import type { Tracing } from '../../core/tracing';
import type { BenchService } from './services';

export type RecorderName =
  | 'unprofiled'
  | 'hush decisions'
  | 'hush full'
  | 'hush ebpf'
  /** the in-kernel recorder built from another revision (HUSH_OVERHEAD_EBPF_BASELINE): before/after in one run */
  | 'hush ebpf baseline'
  /** bpftrace-prototype.ts: the cost of in-kernel recording, not a hush recorder */
  | 'bpftrace prototype'
  | 'shh';

export interface LocalStrace {
  path: string;
  versionLine: string;
  help: string;
  supportsArgv0: boolean;
}

/** This machine's strace, probed as unitInfo/probe probe a host's. */
export function localStrace(): LocalStrace {
  const p = execFileSync('sh', ['-c', 'command -v strace'], { encoding: 'utf8' }).trim();
  const versionLine = execFileSync(p, ['-V'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  const help = execFileSync(p, ['-h'], { encoding: 'utf8' });
  let supportsArgv0 = true;
  try {
    execFileSync(p, ['--argv0', 'hush', '-o', '/dev/null', '--', '/bin/true'], { stdio: 'ignore' });
  } catch {
    supportsArgv0 = false;
  }
  return { path: p, versionLine, help, supportsArgv0 };
}

/** The local systemd's major version (its groups decide the trace set, as the target's would). */
export function localSystemdVersion(): number {
  const out = execFileSync('systemctl', ['--version'], { encoding: 'utf8' });
  const v = parseSystemctlVersion(out);
  if (!v) throw new Error(`cannot read systemctl --version: ${out.slice(0, 100)}`);
  return v.version;
}

/**
 * Splits an Exec line that hush wrote back into argv: the words hush writes (execWord) are bare or
 * double-quoted with `\\` and `\"` escapes, `%%` and `$$` doubled; the service's own command (the
 * bench's, plain words) follows `--`.
 */
export function execArgv(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ') i++;
    if (i >= line.length) break;
    let w = '';
    if (line[i] === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\') i++;
        w += line[i++] ?? '';
      }
      if (line[i] !== '"') throw new Error(`unbalanced quote in ${line}`);
      i++;
    } else {
      while (i < line.length && line[i] !== ' ') w += line[i++];
    }
    words.push(w.replace(/%%/g, '%').replace(/\$\$/g, '$'));
  }
  return words;
}

export interface WrappedCommand {
  tracing: Tracing;
  /** Why hush chose that tracing (chooseTracing's words). */
  why: string;
  /** The ExecStart line of hush's drop-in, as systemd would read it. */
  execLine: string;
  argv: string[];
  fifo: string;
  /** The session's reader copier for that FIFO. */
  reader: string[];
}

/**
 * hush's wrapped ExecStart for `service` with `tracing` (undefined: hush's default choice), its
 * FIFO under `fifoDir`.
 */
export function hushWrapped(
  service: BenchService,
  strace: LocalStrace,
  tracing: Tracing | undefined,
  fifoDir: string,
  systemdVersion = localSystemdVersion(),
): WrappedCommand {
  const unit = `hush-bench-${service.name}.service`;
  const properties = { LoadState: 'loaded', ...service.properties };
  const info: UnitInfo = {
    properties,
    catText: `[Service]\nExecStart=${service.execStart}\n`,
    strace: { path: strace.path, version: strace.versionLine, supportsArgv0: strace.supportsArgv0 },
    execCounts: { ExecStart: 1 },
  };
  const facts = HostFacts.parse({
    systemdVersion,
    kernelRelease: os.release(),
    arch: os.arch(),
    straceVersion: strace.versionLine,
    straceFlags: straceFlagsFromHelp(strace.help),
    unit: { name: unit, properties },
  });
  const choice = chooseTracing(tracing, info, facts);
  const wrapper = planWrapper(unit, info, facts, 'bench', (slot) => `${fifoDir}/${slot}`, {
    ...(choice.set ? { seccompExcept: [...choice.set.untraced.keys()] } : {}),
  });
  const execLine = wrapper.dropIn
    .split('\n')
    .filter((l) => l.startsWith('ExecStart=') && l !== 'ExecStart=')
    .at(-1);
  if (!execLine) throw new Error(`no ExecStart in hush's wrapper:\n${wrapper.dropIn}`);
  const argv = execArgv(execLine.slice('ExecStart='.length));
  const fifo = argv[argv.indexOf('-o') + 1];
  if (!fifo) throw new Error(`no -o FIFO in ${execLine}`);
  return {
    tracing: choice.set ? 'decisions' : 'full',
    why: choice.why,
    execLine,
    argv,
    fifo,
    reader: readerCopier(fifo, false),
  };
}
