/**
 * Setting hush's own hardening drop-in aside for a profiling session (re-profiling a unit hush
 * already hardened): the session must see the unit as it runs without hush, so that the profile is
 * taken under the unit's own sandbox only and the resolver's floor is the unit's own hardening.
 *
 * How: a `/dev/null` symlink with the drop-in's name in `/run/systemd/system.control/<unit>.d/`.
 * That directory ranks above /etc/systemd/system in the unit search path, and a drop-in masked by a
 * same-named /dev/null link in a higher-ranked directory is not read (systemd.unit(5)), so after a
 * daemon-reload `systemctl show` lacks hush's options. Nothing under /etc is touched: restoring is
 * removing the link (before the daemon-reload that restores the unit), and a reboot clears /run,
 * so the unit boots with its hardening back whatever happened to the session. Checked on the
 * debian-13 test host (systemd 257).
 *
 *   await conn.exec(setAsideCommand(unit));   // then daemon-reload, probe, wrap…
 *   restore script: ...restoreSetAsideLines(unit), then daemon-reload
 */
import { HARDENING_DROPIN_NAME, hardeningPaths, RUNTIME_CONTROL_DIR } from './paths';
import { sh, shQuote, type ShellCommand } from './shell';

/**
 * The directory that outranks /etc/systemd/system (`systemctl set-property --runtime` writes there
 * too). The mask's path is also where an apply/reset transaction stages its change
 * (applyPaths(unit).pendingFile): the two never share it. A transaction refuses to start on a
 * /dev/null link there and never removes one; setAsideCommand refuses on anything else there.
 */
export const CONTROL_DIR = RUNTIME_CONTROL_DIR;

export function setAsidePaths(unit: string): { dir: string; mask: string; dropIn: string } {
  const h = hardeningPaths(unit);
  const dir = `${CONTROL_DIR}/${h.unit}.d`;
  return { dir, mask: `${dir}/${HARDENING_DROPIN_NAME}`, dropIn: h.file };
}

/**
 * Masks hush's drop-in when there is one; prints `set-aside` when it did. Idempotent. Refuses
 * (exit 3) when something other than hush's link already has that name in the control directory.
 */
export function setAsideCommand(unit: string): ShellCommand {
  const p = setAsidePaths(unit);
  return sh`if [ -e ${p.mask} ] || [ -L ${p.mask} ]; then [ "$(readlink -- ${p.mask})" = /dev/null ] || { echo ${`${p.mask} exists and is not hush's mask`} >&2; exit 3; }; fi
if [ -e ${p.dropIn} ]; then mkdir -p -m 0755 -- ${p.dir} && ln -sfn /dev/null ${p.mask} && echo set-aside; fi`;
}

/** Lines for a restore script (before its daemon-reload): the mask removed, the directory if empty. */
export function restoreSetAsideLines(unit: string): string[] {
  const p = setAsidePaths(unit);
  return [
    `if [ -L ${shQuote(p.mask)} ] && [ "$(readlink -- ${shQuote(p.mask)})" = /dev/null ]; then rm -f -- ${shQuote(p.mask)}; fi`,
    `rmdir -- ${shQuote(p.dir)} 2>/dev/null`,
  ];
}

/** Whether the mask is in place, as a command printing `aside` or nothing. */
export function setAsideStateCommand(unit: string): ShellCommand {
  const p = setAsidePaths(unit);
  return sh`[ "$(readlink -- ${p.mask} 2>/dev/null)" = /dev/null ] && echo aside; true`;
}
