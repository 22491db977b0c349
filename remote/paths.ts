/**
 * Where hush puts things on a host. Everything hush writes persistently is one file per unit,
 * `/etc/systemd/system/<unit>.d/zz-hush-hardening.conf`; everything else lives under /run (gone
 * after a reboot).
 *
 * Template instances: the drop-in goes to the instance's own directory
 * (`/etc/systemd/system/postgresql@15-main.service.d/`), not the template's
 * (`postgresql@.service.d/`). A profile describes what one instance did; other instances of the
 * same template may serve other data with other paths, so hardening one must not change them.
 * systemd reads both directories for an instance; the `zz-` prefix sorts hush's file after the
 * other drop-ins of the same directory, so hush's settings win where they overlap.
 */
import { createHash } from 'node:crypto';
import { parseRunnableUnitName } from '../core/systemd/unitName';

export const HARDENING_DROPIN_NAME = 'zz-hush-hardening.conf';
export const SYSTEM_UNIT_DIR = '/etc/systemd/system';
/** Staging area of apply transactions (host side), one directory per unit. */
export const APPLY_STAGE_ROOT = '/run/hush/apply';
/**
 * Where a change waits for its confirmation: the runtime control directory, which systemd reads
 * before /etc/systemd/system, so a drop-in of the same name there masks hush's persistent file (a
 * drop-in in /run/systemd/system would not: /etc wins over it). Everything under /run is gone at
 * reboot, which brings back whatever /etc holds.
 */
export const RUNTIME_CONTROL_DIR = '/run/systemd/system.control';

/** The hardening drop-in's directory and path for a (validated) unit. */
export function hardeningPaths(unit: string): { unit: string; dir: string; file: string } {
  const name = parseRunnableUnitName(unit).unit;
  const dir = `${SYSTEM_UNIT_DIR}/${name}.d`;
  return { unit: name, dir, file: `${dir}/${HARDENING_DROPIN_NAME}` };
}

/**
 * A name derived from the unit that is safe in paths and as a plain (non-template) unit name:
 * `@` would make a transient unit a template instance and `\` is systemd's escape character, so
 * both are replaced; a short hash keeps units that map to the same text apart.
 */
export function unitSlug(unit: string): string {
  const base = unit.replace(/\.service$/, '').replace(/[^A-Za-z0-9_.:-]/g, '_');
  const hash = createHash('sha256').update(unit).digest('hex').slice(0, 8);
  return `${base.slice(0, 120)}-${hash}`;
}

export interface ApplyPaths {
  /** Host-side state of the transaction (scripts, staged file, phase, result). */
  stage: string;
  /** The transient service that runs the transaction. */
  transientUnit: string;
  /** The transient timer (and its service) that reverts an unconfirmed change: `NAME.timer`. */
  deadlineUnit: string;
  /** The runtime drop-in that carries the change until it is confirmed. */
  pendingFile: string;
  pendingDir: string;
}

/** The apply/reset transaction's host paths and transient units for a (validated) unit. */
export function applyPaths(unit: string): ApplyPaths {
  const name = parseRunnableUnitName(unit).unit;
  const slug = unitSlug(name);
  const pendingDir = `${RUNTIME_CONTROL_DIR}/${name}.d`;
  return {
    stage: `${APPLY_STAGE_ROOT}/${slug}`,
    transientUnit: `hush-apply-${slug}.service`,
    deadlineUnit: `hush-apply-${slug}-deadline`,
    pendingDir,
    pendingFile: `${pendingDir}/${HARDENING_DROPIN_NAME}`,
  };
}

/**
 * The directory of a profiling session of the unit (remote/profile/layout.ts keeps its state
 * there, under the same slug): apply and reset look for it to find an unfinished session.
 */
export function profileSessionDir(unit: string): string {
  return `/run/hush/profile/${unitSlug(parseRunnableUnitName(unit).unit)}`;
}
