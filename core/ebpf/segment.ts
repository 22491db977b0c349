/**
 * One recording of the in-kernel recorder (native/recorder/loader.c's line stream) → a Profile:
 * each `R` record becomes the event strace would have printed (events.ts) and goes through
 * core/summary's summarizer; the kernel's per-number counters (`C`/`F`, written at the end) give
 * the profile's syscall names and counts, with the summary's success rule applied to each errno.
 *
 * What the stream cannot prove is answered conservatively, never guessed: without the closing
 * counters (the recorder died, the stream was cut) every syscall counts as used (assumed, count
 * 0), and lost records or unreadable decorations count as unreadable arguments, so the resolver
 * rests no path option on the run.
 */
import type { Profile, RunInfo } from '../profile/schema';
import { callCounts, createSummarizer } from '../summary';
import { assumeUnknownPidfdTargets } from '../tracing';
import { errnoName } from './constants';
import { eventOf, type EventContext } from './events';
import { parseRecord, RecordError } from './record';
import { ALL_SYSCALL_NAMES, syscallNameOf } from './signatures';

export interface EbpfSegment {
  push(bytes: Buffer): void;
  finish(run: Partial<RunInfo>): { profile: Profile; lines: number };
}

export function ebpfSegment(opts: { cwd?: string } = {}): EbpfSegment {
  const summarizer = createSummarizer(opts.cwd ? { cwd: opts.cwd } : {});
  const ctx: EventContext = { unreadable: 0 };
  const calls = new Map<number, number>();
  const failures: { nr: number; errno: number; n: number }[] = [];
  let lost = 0;
  let ended = false;
  let lines = 0;
  let records = 0;
  let unparsable = 0;
  let carry = '';

  const line = (text: string): void => {
    if (text === '') return;
    lines++;
    const kind = text.charCodeAt(0);
    if (kind === 82 /* R */ && text.charCodeAt(1) === 32) {
      try {
        const ev = eventOf(parseRecord(Buffer.from(text.slice(2), 'base64')), ++records, ctx);
        if (ev) summarizer.push(ev);
        else unparsable++;
      } catch (err) {
        if (!(err instanceof RecordError)) throw err;
        unparsable++;
      }
      return;
    }
    const f = text.split(' ');
    const nums = f.slice(1).map(Number);
    if (!nums.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      unparsable++;
      return;
    }
    if (f[0] === 'C' && nums.length === 2) calls.set(nums[0]!, (calls.get(nums[0]!) ?? 0) + nums[1]!);
    else if (f[0] === 'F' && nums.length === 3) failures.push({ nr: nums[0]!, errno: nums[1]!, n: nums[2]! });
    else if (f[0] === 'L' && nums.length === 1) lost += nums[0]!;
    else if (f[0] === 'E' && nums.length === 0) ended = true;
    else unparsable++;
  };

  return {
    push(bytes) {
      const text = carry + bytes.toString('latin1');
      const parts = text.split('\n');
      carry = parts.pop()!;
      for (const p of parts) line(p);
    },
    finish(run) {
      if (carry !== '') line(carry);
      carry = '';
      const p = summarizer.finish({ ...run, lines, unparsable });
      const syscalls: Record<string, number> = {};
      const failed: Record<string, number> = {};
      let assumed: string[] | undefined;
      if (ended) {
        // the kernel's counts: every call, failures by errno through the summary's success rule
        const ok = new Map<string, number>();
        const bad = new Map<string, number>();
        for (const [nr, n] of calls) ok.set(syscallNameOf(nr), (ok.get(syscallNameOf(nr)) ?? 0) + n);
        for (const { nr, errno, n } of failures) {
          const name = syscallNameOf(nr);
          if (callCounts({ value: -1, raw: '-1', errno: errnoName(errno) }, name, null)) continue;
          ok.set(name, (ok.get(name) ?? 0) - n);
          bad.set(name, (bad.get(name) ?? 0) + n);
        }
        for (const [name, n] of ok) if (n > 0) syscalls[name] = n;
        // a name the summary counted (openat with O_CREAT failing ENOENT) counts
        for (const [name, n] of Object.entries(p.syscalls)) syscalls[name] ??= n;
        for (const [name, n] of bad) if (syscalls[name] === undefined) failed[name] = n;
      } else {
        // no closing counters: nothing proves any syscall unused
        Object.assign(syscalls, p.syscalls);
        assumed = ALL_SYSCALL_NAMES.filter((n) => syscalls[n] === undefined);
        for (const n of assumed) syscalls[n] = 0;
      }
      const unreadable = (p.runs[0]?.unreadableArgs ?? 0) + ctx.unreadable + lost;
      const runs = p.runs.map((r) => ({
        ...r,
        recorder: 'ebpf' as const,
        syscalls: Object.values(syscalls).reduce((a, b) => a + b, 0),
        ...(unreadable ? { unreadableArgs: unreadable } : {}),
        ...(assumed ? { assumedSyscalls: assumed } : {}),
      }));
      // close is not decoded: which process a pidfd names is not known
      const actions = assumeUnknownPidfdTargets(
        { ...p, syscalls },
        'in-kernel recorder: close is not decoded, so a pidfd may name another process than its entry says',
      );
      return { profile: { ...p, actions, syscalls, failedSyscalls: failed, runs }, lines };
    },
  };
}
