/**
 * Setting hush's own hardening drop-in aside for a profiling session (re-profiling a unit hush
 * already hardened): the session must see the unit as it runs without hush, so that the profile is
 * taken under the unit's own sandbox only and the resolver's floor (the probed `systemctl show`) is
 * the unit's own hardening. Without it, a service whose new version or configuration needs more
 * than hush allowed last time fails under the wrapper, or is never relaxed.
 *
 * How: a `/dev/null` symlink with the drop-in's name in `/run/systemd/system.control/<unit>.d/`.
 * That directory ranks above /etc/systemd/system in the unit search path, and a drop-in masked by a
 * same-named /dev/null link in a higher-ranked directory is not read (systemd.unit(5)), so after a
 * daemon-reload `systemctl show` lacks hush's options. Nothing under /etc is touched: undoing it is
 * removing the link before the daemon-reload that restores the unit, and a reboot clears /run, so
 * the unit boots with its hardening back whatever happened to the session. Checked on the
 * debian-13 test host (systemd 257).
 *
 * When: the plan step sets it aside before it reads the unit and probes (plan.ts), because what it
 * reads there is the floor; the session directory, whose restore.sh undoes it, exists only from
 * the start step on. A controller that dies in between must not leave the unit without its
 * hardening, so the set-aside arms a guard first: a transient timer that, unless a session
 * directory took over by then, removes the mask, reloads, and restarts the unit if it was
 * (re)started meanwhile (it would run without hush's hardening until its next restart otherwise).
 * From the start step on the mask is one of the session's unit changes (unitChanges.ts): made
 * again before the wrapped restart (idempotent), undone by restore.sh with everything else.
 */
import { randomBytes } from 'node:crypto';
import {
  HARDENING_DROPIN_NAME,
  hardeningPaths,
  profileSessionDir,
  RUNTIME_CONTROL_DIR,
  unitSlug,
} from '../paths';
import type { HostExec } from '../host';
import { argv, sh, shQuote, type ShellCommand } from '../shell';
import { ProfilingError } from '../../core/profiling/errors';
import { removeOrReport, undoFailures } from './undo';

/**
 * The directory that outranks /etc/systemd/system (`systemctl set-property --runtime` writes there
 * too). The mask's path is also where an apply/reset transaction stages its change
 * (applyPaths(unit).pendingFile): the two never share it. A transaction refuses to start on a
 * /dev/null link there and never removes one; the set-aside refuses on anything else there.
 */
export const CONTROL_DIR = RUNTIME_CONTROL_DIR;

/** The guard fires this long after the set-aside at the earliest (a slow probe under load takes minutes). */
export const MIN_GUARD_SEC = 300;

export interface SetAsidePaths {
  unit: string;
  /** hush's drop-in in /etc. */
  dropIn: string;
  /** `/run/systemd/system.control/<unit>.d` */
  dir: string;
  /** The /dev/null link that masks hush's drop-in. */
  mask: string;
  /** The guard's script (beside the session directories) and transient unit (without suffix). */
  guardScript: string;
  guardUnit: string;
  /** The session directory whose existence means a session took the mask over. */
  sessionRoot: string;
}

export function setAsidePaths(unit: string): SetAsidePaths {
  const h = hardeningPaths(unit);
  const dir = `${CONTROL_DIR}/${h.unit}.d`;
  const slug = unitSlug(h.unit);
  return {
    unit: h.unit,
    dropIn: h.file,
    dir,
    mask: `${dir}/${HARDENING_DROPIN_NAME}`,
    guardScript: `/run/hush/profile/${slug}.aside.sh`,
    guardUnit: `hush-profile-aside-${slug}`,
    sessionRoot: profileSessionDir(h.unit),
  };
}

/**
 * Undoes the set-aside, for restore.sh and the guard (before their daemon-reload): removes the mask
 * when it is hush's (a /dev/null link; anything else with that name is left alone) and sets
 * `changed=yes`; stops the guard and removes its script. Idempotent.
 */
export function undoSetAsideCommand(unit: string): ShellCommand {
  const p = setAsidePaths(unit);
  return sh`if [ -L ${p.mask} ] && [ "$(readlink -- ${p.mask})" = /dev/null ]; then ${removeOrReport(p.mask, p.dir)}; fi; systemctl stop -- ${p.guardUnit + '.timer'} 2>/dev/null; rm -f -- ${p.guardScript}`;
}

/**
 * Masks hush's drop-in when there is one (`set-aside` on stdout). Refuses (exit 3) when something
 * other than hush's link has that name in the control directory (an unconfirmed runtime apply, an
 * operator's file). Idempotent; no daemon-reload.
 */
export function maskCommand(unit: string): ShellCommand {
  const p = setAsidePaths(unit);
  return sh`${refuseForeignCommand(p)}; if [ -e ${p.dropIn} ]; then mkdir -p -m 0755 -- ${p.dir} && ln -sfn /dev/null ${p.mask} && echo set-aside; fi`;
}

function refuseForeignCommand(p: SetAsidePaths): ShellCommand {
  return sh`if [ -e ${p.mask} ] || [ -L ${p.mask} ]; then [ "$(readlink -- ${p.mask})" = /dev/null ] || { echo ${`${p.mask} exists and is not hush's mask (an unconfirmed runtime apply, or an operator's file): finish or revert what put it there first`} >&2; exit 3; }; fi`;
}

/** The guard's script: $1 is the unit's InvocationID when it was set aside. */
export function guardScript(unit: string): string {
  const p = setAsidePaths(unit);
  const q = shQuote;
  return [
    '#!/bin/sh',
    "# hush: puts hush's hardening drop-in back in force if the profiling session that set it aside never started.",
    'set -u',
    `unit=${q(p.unit)}`,
    `[ -d ${q(p.sessionRoot)} ] && exit 0`,
    'changed=no',
    undoSetAsideCommand(unit).text,
    'if [ "$changed" = yes ]; then',
    '  systemctl daemon-reload',
    '  now=$(systemctl show -p InvocationID --value -- "$unit" 2>/dev/null)',
    '  if [ "$now" != "${1:-}" ] && systemctl is-active --quiet -- "$unit"; then systemctl restart -- "$unit"; fi',
    '  echo "hush: the profiling session of $unit never started; its hardening is back in force"',
    'fi',
    'exit 0',
    '',
  ].join('\n');
}

/**
 * The plan step's set-aside, one round trip: when hush's drop-in exists, print `systemctl cat` as
 * it is now (restore compares with it), arm the guard, mask, daemon-reload, print the marker.
 */
export function setAsideForSessionCommand(unit: string, guardSec: number, marker: string): ShellCommand {
  const p = setAsidePaths(unit);
  const arm = argv([
    'systemd-run',
    '--quiet',
    `--unit=${p.guardUnit}`,
    '--description=hush: puts the hardening back if a profiling session that set it aside never started',
    `--on-active=${Math.max(MIN_GUARD_SEC, Math.round(guardSec))}s`,
    '--timer-property=AccuracySec=1s',
    '--property=CollectMode=inactive-or-failed',
    '/bin/sh',
    p.guardScript,
  ]);
  // the InvocationID is hex (or empty): safe as an argument of a transient unit's command
  return sh`set -e; [ -e ${p.dropIn} ] || exit 0; ${refuseForeignCommand(p)}; systemctl cat --no-pager -- ${unit} 2>/dev/null || true; inv=$(systemctl show -p InvocationID --value -- ${unit}); umask 077; mkdir -p -m 0711 /run/hush; mkdir -p -m 0700 /run/hush/profile; printf '%s' ${guardScript(unit)} > ${p.guardScript}; systemctl stop -- ${p.guardUnit + '.timer'} 2>/dev/null || true; ${arm} "\${inv:-none}"; ${maskCommand(unit)} >/dev/null; systemctl daemon-reload; printf '\\n%s\\n' ${marker}`;
}

export interface SetAside {
  /** `systemctl cat` before the drop-in was set aside (restore compares the unit with it). */
  catBefore: string;
}

/** Sets hush's drop-in aside for the plan step; undefined when the unit has none. */
export async function setAsideForSession(
  conn: HostExec,
  unit: string,
  guardSec: number,
): Promise<SetAside | undefined> {
  const marker = `@@hush-aside-${randomBytes(6).toString('hex')}@@`;
  const r = await conn.exec(setAsideForSessionCommand(unit, guardSec, marker), {
    check: true,
    timeoutMs: 5 * 60_000,
  });
  const at = r.stdout.lastIndexOf(`\n${marker}\n`);
  if (at < 0) return undefined;
  return { catBefore: r.stdout.slice(0, at) };
}

/** Puts the drop-in back in force now (a refusal after the set-aside, before any session exists). */
export async function undoSetAside(conn: HostExec, unit: string): Promise<void> {
  const r = await conn.exec(
    sh`changed=no; ${undoSetAsideCommand(unit)}; if [ "$changed" = yes ]; then systemctl daemon-reload; fi`,
    {
      check: true,
      timeoutMs: 5 * 60_000,
    },
  );
  const failed = undoFailures(r.stdout);
  if (failed.length > 0)
    throw new ProfilingError(`hush's hardening of ${unit} is still set aside: ${failed.join('; ')}`);
}

/** Whether the mask is in place, as a command printing `aside` or nothing. */
export function setAsideStateCommand(unit: string): ShellCommand {
  const p = setAsidePaths(unit);
  return sh`[ "$(readlink -- ${p.mask} 2>/dev/null)" = /dev/null ] && echo aside; true`;
}
