/**
 * The one test VM the comparison uses (debian-13, instance `shhbench`), and what both tools need
 * on it: SHH's binary, the functional checks as workload scripts, wrk.
 *
 * SHH is built on this machine (Debian 12 glibc), which Debian 13 runs; its syscall classes are
 * the build host's, reported beside the figures.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  checkService,
  corpusServices,
  resetHost,
  securityBaseline,
  sshExec,
  startHost,
  stopHosts,
  type CheckResult,
  type TestHostConnection,
  type TestHostImage,
} from '../../test/host';
import { connect, type Connection } from '../../remote/connection';

export const VM_NAME = process.env.HUSH_COMPARE_VM ?? 'shhbench';
/** The test image: debian-13 unless HUSH_COMPARE_IMAGE says debian-12 (strength runs on both). */
export const IMAGE: TestHostImage =
  process.env.HUSH_COMPARE_IMAGE === 'debian-12' ? 'debian-12' : 'debian-13';
const CHECKS_DIR = path.resolve(__dirname, '..', '..', 'test', 'host', 'checks');
/** Where the workload scripts and shh go on the VM. */
export const VM_DIR = '/root/hush-compare';
export const VM_SHH = '/usr/local/bin/shh';

export class Vm {
  private constructor(public host: TestHostConnection) {}

  static async up(): Promise<Vm> {
    return new Vm(await startHost(IMAGE, { name: VM_NAME, ownerPid: process.pid }));
  }

  /** Back to the freshly booted state (loadvm): nothing of an earlier run survives. */
  async reset(): Promise<void> {
    this.host = await resetHost(VM_NAME);
  }

  async down(): Promise<void> {
    await stopHosts([VM_NAME]);
  }

  async exec(command: string, timeoutMs = 10 * 60_000, stdin?: string) {
    return sshExec(this.host, command, { timeoutMs, ...(stdin !== undefined ? { stdin } : {}) });
  }

  /** Runs a command that must succeed; returns stdout. */
  async run(command: string, timeoutMs = 10 * 60_000, stdin?: string): Promise<string> {
    const r = await this.exec(command, timeoutMs, stdin);
    if (r.code !== 0)
      throw new Error(
        `on ${VM_NAME}: \`${command}\` exited ${r.code}: ${(r.stderr + r.stdout).slice(-1500)}`,
      );
    return r.stdout;
  }

  /** hush's own connection (remote/connection), host key pinned. */
  connector(): () => Promise<Connection> {
    const h = this.host;
    return () =>
      connect({
        host: h.host,
        port: h.port,
        user: h.user,
        privateKey: readFileSync(h.privateKeyPath, 'utf8'),
        hostKey: h.hostKey,
      });
  }

  /** Copies the shh binary (base64 over the SSH channel: the harness's exec takes text stdin). */
  async installShh(localShh: string): Promise<void> {
    const b64 = readFileSync(localShh).toString('base64');
    await this.run(
      `set -e; base64 -d > ${VM_SHH}.tmp && chmod 0755 ${VM_SHH}.tmp && mv ${VM_SHH}.tmp ${VM_SHH} && ${VM_SHH} -V`,
      5 * 60_000,
      b64,
    );
  }

  /**
   * The functional check of each corpus service as a script on the VM (`bash VM_DIR/check-NAME.sh`):
   * the profiling workload of both tools, so hush and SHH see the same traffic.
   */
  async installChecks(waitSeconds = 60): Promise<void> {
    const lib = readFileSync(path.join(CHECKS_DIR, 'lib', 'common.sh'), 'utf8');
    // one round trip (each costs seconds under TCG): "NAME BASE64" lines, decoded on the VM
    const lines = corpusServices().map((s) => {
      // the name becomes a file name in a shell command: services.tsv names are [a-z0-9-]
      if (!/^[a-z0-9-]+$/.test(s.name)) throw new Error(`bad check name ${s.name}`);
      const text = `HUSH_CHECK_WAIT=${waitSeconds}\n${lib}${readFileSync(path.join(CHECKS_DIR, `${s.name}.sh`), 'utf8')}`;
      return `${s.name} ${Buffer.from(text).toString('base64')}\n`;
    });
    await this.run(
      `set -e; mkdir -p ${VM_DIR}; while read -r name b64; do printf '%s' "$b64" | base64 -d > "${VM_DIR}/check-$name.sh"; done`,
      60_000,
      lines.join(''),
    );
  }

  /** The functional check; a check that does not finish in its time limit counts as failed. */
  async check(service: string): Promise<CheckResult> {
    try {
      return await checkService(this.host, service, { waitSeconds: 60 });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return { service, ok: false, output: `FAIL check did not finish: ${why}`, durationMs: 0 };
    }
  }

  async exposure(unit: string): Promise<number> {
    const [e] = await securityBaseline(this.host, [unit]);
    if (!e) throw new Error(`no exposure for ${unit}`);
    return e.exposure;
  }

  /** Waits until the unit is active and `probe` (a shell command) succeeds. */
  async waitReady(unit: string, probe: string, timeoutSec = 300): Promise<void> {
    await this.run(
      // no job pending first: right after `restart --no-block` the old instance may still answer
      `for i in $(seq ${timeoutSec}); do [ -z "$(systemctl list-jobs --no-legend ${unit})" ] && ` +
        `systemctl is-active --quiet ${unit} && (${probe}) >/dev/null 2>&1 && exit 0; sleep 1; done; ` +
        `systemctl status --no-pager ${unit} | tail -20; exit 1`,
      (timeoutSec + 120) * 1000,
    );
  }
}
