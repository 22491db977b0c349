/**
 * `node dist/bench/spoolRate.js [SECONDS]`: how fast a detached recording of nginx fills its spool.
 * nginx (bench/overhead's one-worker setup) runs under hush's own wrapped ExecStart (decision
 * tracing, chooseTracing + planWrapper), its FIFO read the way the spool writer reads it
 * (remote/recording/spool.ts: the FIFO copied, gzip -1), under `wrk -t1 -c1` for SECONDS; the
 * compressed bytes per request give the spool's MB per hour at a request rate. Real CPU (this
 * machine), not the emulated test hosts.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { hushWrapped, localStrace } from './overhead/recorders';
import { nginxService, parseWrk } from './overhead/services';

const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nginx did not listen on ${port}`);
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 30);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hush-spool-rate-'));
  fs.chmodSync(scratch, 0o755);
  const port = 18000 + (process.pid % 1000);
  const service = nginxService(scratch, port);
  const fifoDir = path.join(scratch, 'fifo');
  fs.mkdirSync(fifoDir);
  const w = hushWrapped(service, localStrace(), undefined, fifoDir);
  execFileSync('mkfifo', ['-m', '0666', w.fifo]);
  const spool = path.join(scratch, 'spool.gz');
  // the spool writer's shape: copy the FIFO, gzip -1 into the file
  const writer = spawn('sh', ['-c', `cat -- "$1" | gzip -1 > "$2"`, 'writer', w.fifo, spool], {
    stdio: 'ignore',
  });
  const nginx = spawn(w.argv[0]!, w.argv.slice(1), { env: ENV, stdio: 'ignore' });
  try {
    await waitPort(port);
    await sleep(1000);
    const startup = fs.existsSync(spool) ? fs.statSync(spool).size : 0;
    const out = execFileSync('wrk', ['-t1', '-c1', `-d${seconds}s`, `http://127.0.0.1:${port}/`], {
      encoding: 'utf8',
    });
    const load = parseWrk(out);
    const pid = Number(fs.readFileSync(service.pidFile, 'utf8').trim());
    process.kill(pid, 'SIGTERM');
    await new Promise((r) => writer.on('close', r));
    const total = fs.statSync(spool).size;
    const raw = Number(
      execFileSync('sh', ['-c', `gzip -dc -- "$1" | wc -c`, 'x', spool], { encoding: 'utf8' }).trim(),
    );
    const perRequest = (total - startup) / Math.max(load.requests, 1);
    const mbPerHour = (rate: number) => ((perRequest * rate * 3600) / 1e6).toFixed(1);
    const say = (l: string) => process.stdout.write(`bench:spool-rate: ${l}\n`);
    say(
      `nginx under hush's wrapper (${w.tracing} tracing), wrk -t1 -c1 for ${seconds} s: ${load.requests} requests (${load.requestsPerSec.toFixed(0)}/s)`,
    );
    say(
      `spool ${total} bytes gzip -1 (${raw} bytes of trace, ${(raw / total).toFixed(1)}x); start-up ${startup} bytes`,
    );
    say(
      `${perRequest.toFixed(0)} bytes of spool per request (${(raw / Math.max(load.requests, 1)).toFixed(0)} of trace)`,
    );
    say(
      `spool per hour: ${mbPerHour(1)} MB at 1 req/s, ${mbPerHour(10)} MB at 10 req/s, ${mbPerHour(100)} MB at 100 req/s`,
    );
    say(
      `CPU: this machine (real, not emulated); load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    nginx.kill('SIGKILL');
    writer.kill('SIGKILL');
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(
      `bench:spool-rate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  });
}
