// Functional checks of the corpus services and their `systemd-analyze security` baseline, run
// over SSH. The checks themselves are the bash files in test/host/checks (the same ones that
// `scripts/testhost check` runs), so people, scripts and jest share one oracle.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { sshExec } from './ssh';
import type { TestHostConnection } from './testhost';

const HOST_DIR = __dirname;
const CHECKS_DIR = path.join(HOST_DIR, 'checks');
const SERVICES_TSV = path.join(HOST_DIR, 'corpus', 'services.tsv');

export interface CorpusService {
  /** the check's name: nginx, caddy, redis, postgresql, hush-testsvc */
  name: string;
  /** unit name patterns it covers, e.g. "postgresql@*-main.service" (resolved on the host) */
  unitPatterns: string[];
}

/** The corpus as listed in test/host/corpus/services.tsv ("name<TAB>unit patterns"). */
export function corpusServices(): CorpusService[] {
  return readFileSync(SERVICES_TSV, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name = '', units = ''] = line.split('\t');
      return { name, unitPatterns: units.split(/\s+/).filter(Boolean) };
    });
}

export interface CheckResult {
  service: string;
  ok: boolean;
  /** PASS/FAIL lines of the check, then "OK name" or "FAILED name (n failed)" */
  output: string;
  durationMs: number;
}

const CheckNameSchema = z.string().regex(/^[a-z0-9-]+$/);

/** Runs the functional check of one corpus service on the host; ok is true when it passed. */
export interface CheckOptions {
  /** how long the check waits for a service that is still (re)starting (default 60 s: a Python
   * service start can take tens of seconds under TCG on a busy machine) */
  waitSeconds?: number;
}

export async function checkService(
  host: TestHostConnection,
  name: string,
  options: CheckOptions = {},
): Promise<CheckResult> {
  const service = CheckNameSchema.parse(name);
  const waitSeconds = z
    .number()
    .int()
    .min(0)
    .max(600)
    .parse(options.waitSeconds ?? 60);
  if (!corpusServices().some((s) => s.name === service)) {
    throw new Error(`no functional check named ${service}`);
  }
  const script =
    `HUSH_CHECK_WAIT=${waitSeconds}\n` +
    readFileSync(path.join(CHECKS_DIR, 'lib', 'common.sh'), 'utf8') +
    readFileSync(path.join(CHECKS_DIR, `${service}.sh`), 'utf8');
  const started = Date.now();
  const result = await sshExec(host, 'bash -s', { stdin: script, timeoutMs: 180_000 });
  return {
    service,
    ok: result.code === 0,
    output: (result.stdout + result.stderr).trim(),
    durationMs: Date.now() - started,
  };
}

export interface UnitExposure {
  unit: string;
  /** systemd-analyze security overall exposure, 0.0 (best) … 10.0 */
  exposure: number;
  /** OK, MEDIUM, EXPOSED, UNSAFE… */
  label: string;
}

const ExposureLineSchema = z.tuple([z.string().min(1), z.coerce.number().min(0).max(10), z.string().min(1)]);

/** Parses "UNIT SCORE LABEL" lines of checks/lib/security.sh. */
export function parseExposureLines(text: string): UnitExposure[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [unit, exposure, label] = ExposureLineSchema.parse(line.split(/\s+/));
      return { unit, exposure, label };
    });
}

/** `systemd-analyze security` of every corpus unit (or of the given unit patterns). */
export async function securityBaseline(
  host: TestHostConnection,
  unitPatterns: string[] = corpusServices().flatMap((s) => s.unitPatterns),
): Promise<UnitExposure[]> {
  for (const pattern of unitPatterns)
    z.string()
      .regex(/^[A-Za-z0-9@*._|-]+$/)
      .parse(pattern);
  const script = readFileSync(path.join(CHECKS_DIR, 'lib', 'security.sh'), 'utf8');
  // patterns are validated above to a shell-inert alphabet except '*' and '|', quoted here
  const args = unitPatterns.map((p) => `'${p}'`).join(' ');
  const result = await sshExec(host, `bash -s -- ${args}`, { stdin: script, timeoutMs: 180_000 });
  if (result.code !== 0) throw new Error(`security baseline failed: ${result.stderr}`);
  const missing = result.stdout.split('\n').filter((line) => line.endsWith(' NOT-FOUND'));
  if (missing.length > 0) throw new Error(`units not found on ${host.name}: ${missing.join(', ')}`);
  return parseExposureLines(result.stdout);
}

/**
 * The corpus services the image does not start at boot: hush-corpus.target (test/host/corpus/
 * etc/systemd/system) wants them. Every hush VM boots from one image, so the boot starts only what
 * most tests use; a flow over the whole corpus (its checks, the corpus run, the bench) starts the
 * rest first. Throws, naming the units, when one of them does not come up.
 */
export const CORPUS_TARGET = 'hush-corpus.target';

export async function startCorpus(host: TestHostConnection, timeoutSeconds = 600): Promise<void> {
  const started = await sshExec(
    host,
    `timeout ${timeoutSeconds} systemctl start ${CORPUS_TARGET}; echo "exit $?"; ` +
      `for u in $(systemctl show -p Wants --value ${CORPUS_TARGET}); do ` +
      `s=$(systemctl is-active "$u"); [ "$s" = active ] || echo "$u $s"; done`,
    { timeoutMs: (timeoutSeconds + 120) * 1000 },
  );
  const lines = started.stdout.trim().split('\n');
  const notUp = lines.filter((l) => !l.startsWith('exit '));
  if (started.code !== 0 || lines[0] !== 'exit 0' || notUp.length > 0) {
    throw new Error(
      `${CORPUS_TARGET} did not start every corpus service on ${host.name}: ${[
        ...lines,
        started.stderr.trim(),
      ]
        .filter(Boolean)
        .join('; ')}`,
    );
  }
}
