/**
 * Advice: hardening the profile shows within reach but that changes the service's identity or the
 * ownership of its files (User=/DynamicUser=, PrivateUsers=). hush never applies these by itself —
 * they need files chowned and a decision about the account — so the plan carries them as advice:
 * the value, the evidence from the profile, and the exact steps. Pure: Plan × TargetView → Advice[].
 */
import { ALL_CAPABILITIES } from '../systemd/capabilities';
import type { TargetView } from '../systemd/model';
import { WRITE_ACCESSES } from '../systemd/model';
import { isUnder } from '../systemd/paths';
import type { Advice, Decision } from './plan';

const DAC_CAPABILITIES = ['CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER'];

/** Trees a service writes as its own; other written paths need a chown under a new identity. */
const OWN_TREES = ['/var/lib', '/var/cache', '/var/log', '/run', '/tmp', '/var/tmp', '/dev', '/proc'];

/** Capabilities the plan leaves in the bounding set (the unit's own floor aside). */
function keptCapabilities(chosen: readonly Decision[]): string[] | undefined {
  const d = chosen.find((c) => c.option === 'CapabilityBoundingSet');
  if (!d) return undefined;
  const items = (typeof d.value === 'string' ? d.value.split(/\s+/) : d.value).map((x) =>
    x.replace(/^~/, ''),
  );
  return ALL_CAPABILITIES.filter((c) => !items.includes(c));
}

/** The unit's name for steps: systemctl and hush commands. */
function unitName(t: TargetView, unit: string | undefined): string {
  return unit ?? t.unitProps.Id ?? 'UNIT';
}

export function identityAdvice(chosen: readonly Decision[], t: TargetView, unit?: string): Advice[] {
  const advice: Advice[] = [];
  const name = unitName(t, unit);
  const kept = keptCapabilities(chosen);
  if (kept === undefined) return advice; // no capability model result: nothing proven
  const credentials = t.actions.find((a) => a.kind === 'setCredentials');
  const chown = t.actions.find((a) => a.kind === 'chown');
  const lowPorts = [
    ...new Set(
      t.actions.flatMap((a) =>
        a.kind === 'net' && a.op === 'bind' && a.port !== undefined && a.port > 0 && a.port < 1024
          ? [a.port]
          : [],
      ),
    ),
  ].sort((a, b) => a - b);
  const written = [
    ...new Set(
      t.paths
        .filter(
          (p) => WRITE_ACCESSES.includes(p.access) && !isUnder(p.path, '/dev') && !isUnder(p.path, '/proc'),
        )
        .map((p) => p.path),
    ),
  ].sort();
  const foreign = written.filter((p) => !OWN_TREES.some((b) => isUnder(p, b)));
  // The DAC capabilities are kept for a root service only because file ownership is not in the
  // trace (core/systemd/capabilities.ts); when everything it writes is in its own trees, the
  // *Directory= hand-over makes the new user the owner, so they do not stand in the way.
  const needed = kept.filter(
    (c) => c !== 'CAP_NET_BIND_SERVICE' && !(foreign.length === 0 && DAC_CAPABILITIES.includes(c)),
  );

  // 1. A root service that used no root power: it can run as an unprivileged (dynamic) user.
  if (t.runsAsRoot && t.rootCommands.length === 0 && !credentials && !chown && needed.length === 0) {
    const dirs = [
      ...new Set(
        written
          .filter((p) => ['/var/lib', '/var/cache', '/var/log'].some((b) => isUnder(p, b) && p !== b))
          .map((p) => p.split('/').slice(0, 4).join('/')),
      ),
    ];
    const value = foreign.length === 0 ? 'DynamicUser=yes' : 'User=<a new system user>';
    advice.push({
      option: foreign.length === 0 ? 'DynamicUser' : 'User',
      value: value.split('=')[1]!,
      why: [
        'runs as root but used no root power in the profile: no credential change, no chown, and no capability kept ' +
          `beyond ${lowPorts.length ? 'CAP_NET_BIND_SERVICE (AmbientCapabilities= gives it to a non-root user)' : 'none'}` +
          (kept.some((c) => DAC_CAPABILITIES.includes(c))
            ? ' and the file-ownership ones, kept only because ownership is not in the trace (it writes only its own trees)'
            : ''),
        'User=/DynamicUser= is worth 2000 of systemd-analyze security’s weight, the largest single item',
      ],
      evidence: [
        `capabilities kept by the plan: ${kept.length ? kept.join(' ') : 'none'}`,
        ...(lowPorts.length ? [`binds ports below 1024: ${lowPorts.join(' ')}`] : []),
        `writes: ${written.length ? written.join(' ') : 'nothing'}`,
        ...(foreign.length
          ? [`writes outside its own trees (needs an owner it can write as): ${foreign.join(' ')}`]
          : []),
      ],
      steps: [
        `systemctl edit ${name}  # or a drop-in of your own, not hush's`,
        `  [Service]\n  ${value}${dirs.length ? `\n  ${dirs.map((d) => `${d.startsWith('/var/lib') ? 'StateDirectory' : d.startsWith('/var/cache') ? 'CacheDirectory' : 'LogsDirectory'}=${d.split('/')[3]}`).join('\n  ')}` : ''}${lowPorts.length ? '\n  AmbientCapabilities=CAP_NET_BIND_SERVICE' : ''}`,
        ...(foreign.length
          ? [
              `useradd --system --no-create-home --shell /usr/sbin/nologin <user>; chown <user>: ${foreign.join(' ')}`,
            ]
          : ['(DynamicUser= hands the *Directory= paths over to the dynamic user by itself)']),
        `systemctl restart ${name}, check it works, then profile and apply again with hush (the new identity changes the profile)`,
      ],
    });
  }

  // 2. PrivateUsers=: a user namespace. Without any capability and without credential changes the
  // service cannot tell, except through ownership: files of other users show as nobody:nogroup and
  // group permissions of supplementary groups stop applying. Offered, verified by hush's own apply.
  if (!credentials && !chown && kept.length === 0 && t.systemdVersion >= 232) {
    const reads = [
      ...new Set(
        t.paths
          .filter(
            (p) =>
              p.access === 'read' &&
              !['/usr', '/lib', '/etc', '/proc', '/sys', '/dev', '/run/systemd'].some((b) =>
                isUnder(p.path, b),
              ),
          )
          .map((p) => p.path),
      ),
    ].sort();
    advice.push({
      option: 'PrivateUsers',
      value: 'yes',
      why: [
        'no capability kept, no credential change, no chown: inside a user namespace the service loses nothing it used',
        'it changes how ownership looks: files of other users appear as nobody:nogroup and supplementary-group permissions no longer apply',
      ],
      evidence: [
        `credential changes: none; chown: none; capabilities kept: none`,
        `files read outside the system trees (check each is readable by the service's own user or by others): ${reads.length ? reads.join(' ') : 'none'}`,
      ],
      steps: [
        `hush apply ${name} --profile PROFILE --set PrivateUsers=yes --health 'YOUR CHECK'  # verified, rolled back if it fails`,
      ],
    });
  }
  return advice;
}
