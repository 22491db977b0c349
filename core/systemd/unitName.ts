/**
 * Unit names, validated against systemd's naming rules before they reach any command line, path
 * or drop-in. hush only manages services, so the only accepted suffix is `.service`; a bare name
 * (`nginx`) gets it appended, as `systemctl` does.
 *
 * The rules mirror systemd's `unit_name_is_valid()` (src/basic/unit-name.c): at most 255
 * characters, the characters `[A-Za-z0-9:_.\-]` plus `\` (systemd's escape character) and `@`,
 * a non-empty prefix, at most one template separator `@` before the instance (the instance itself
 * may contain further `@`). Stricter than systemd on purpose: a name may not start with `-` or `.`
 * so it can never be read as an option by a remote tool or as `.`/`..` in a path.
 *
 * Names like `nginx;reboot`, `$(id)`, `../x`, `a b.service` are rejected here, so nothing
 * downstream ever sees them.
 */

import { z } from 'zod';

/** systemd's UNIT_NAME_MAX is 256 including the terminating NUL. */
export const UNIT_NAME_MAX = 255;

/** systemd's VALID_CHARS for unit names (without `@`, which is positional). */
const VALID_CHAR = /^[A-Za-z0-9:_.\\-]$/;

export class InvalidUnitNameError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid unit name ${JSON.stringify(input)}: ${reason}`);
    this.name = 'InvalidUnitNameError';
  }
}

/** A validated service unit name, split into its parts. */
export interface UnitName {
  /** The full name with suffix, e.g. `nginx.service`, `postgresql@15-main.service`. */
  readonly unit: string;
  /** Text before `@` (or before the suffix), e.g. `postgresql`. */
  readonly prefix: string;
  /** The instance of a template instance (`15-main`), undefined for plain units and templates. */
  readonly instance?: string;
  /** `name@.service` when this is a template or a template instance, else undefined. */
  readonly template?: string;
  readonly kind: 'plain' | 'template' | 'instance';
}

/**
 * Validates a service unit name and returns its parts. A missing suffix becomes `.service`;
 * another suffix (`.socket`, `.timer`…) is rejected because hush only hardens services.
 * Throws InvalidUnitNameError with the reason.
 */
export function parseUnitName(input: string): UnitName {
  if (typeof input !== 'string' || input.length === 0) throw new InvalidUnitNameError(String(input), 'empty');
  let name = input;
  const lastDot = name.lastIndexOf('.');
  const suffix = lastDot > 0 ? name.slice(lastDot + 1) : '';
  if (!KNOWN_SUFFIXES.has(suffix)) name = `${name}.service`;
  else if (suffix !== 'service') {
    throw new InvalidUnitNameError(input, `only .service units are supported, not .${suffix}`);
  }
  if (name.length > UNIT_NAME_MAX) {
    throw new InvalidUnitNameError(input, `longer than ${UNIT_NAME_MAX} characters`);
  }
  const base = name.slice(0, -'.service'.length);
  if (base.length === 0) throw new InvalidUnitNameError(input, 'empty name before .service');
  if (base.startsWith('-') || base.startsWith('.')) {
    throw new InvalidUnitNameError(input, 'may not start with "-" or "."');
  }
  for (const ch of base) {
    if (ch !== '@' && !VALID_CHAR.test(ch)) {
      throw new InvalidUnitNameError(
        input,
        `character ${JSON.stringify(ch)} is not allowed (allowed: letters, digits, ":", "_", ".", "-", "\\", "@")`,
      );
    }
  }
  const at = base.indexOf('@');
  if (at < 0) return { unit: name, prefix: base, kind: 'plain' };
  if (at === 0) throw new InvalidUnitNameError(input, 'empty name before "@"');
  const prefix = base.slice(0, at);
  const instance = base.slice(at + 1);
  const template = `${prefix}@.service`;
  if (instance.length === 0) return { unit: name, prefix, template, kind: 'template' };
  return { unit: name, prefix, instance, template, kind: 'instance' };
}

/** Validates and returns the full unit name (`nginx` → `nginx.service`). */
export function validateUnitName(input: string): string {
  return parseUnitName(input).unit;
}

/**
 * A validated unit that can be started: a plain unit or a template instance. Templates
 * (`name@.service`) cannot run, so apply/profile/reset refuse them.
 */
export function parseRunnableUnitName(input: string): UnitName & { kind: 'plain' | 'instance' } {
  const u = parseUnitName(input);
  if (u.kind === 'template') {
    throw new InvalidUnitNameError(input, 'a template cannot run; name an instance (name@instance.service)');
  }
  return u as UnitName & { kind: 'plain' | 'instance' };
}

/** Unit type suffixes systemd knows; a name ending in one of them has an explicit suffix. */
const KNOWN_SUFFIXES: ReadonlySet<string> = new Set([
  'service',
  'socket',
  'target',
  'device',
  'mount',
  'automount',
  'swap',
  'timer',
  'path',
  'slice',
  'scope',
]);

/**
 * A full service unit name as systemd allows it (`nginx.service`, `getty@tty1.service`), for zod
 * schemas at the boundaries (profiles, host facts): the message names the broken rule.
 */
export const ServiceUnitName = z.string().superRefine((name, ctx) => {
  try {
    if (parseUnitName(name).unit !== name) ctx.addIssue({ code: 'custom', message: 'must end in .service' });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});
