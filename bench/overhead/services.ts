/**
 * The services of the real-CPU overhead bench (`npm run bench:overhead`), run on this machine's
 * own CPU (no VM) from Debian's packages (bench/overhead/setup.sh installs them), each from a
 * private config in the run's scratch directory so that nothing of the host's own configuration
 * is touched or read:
 *
 * - nginx: one worker (`worker_processes 1`), a static page, the access log on, the master in the
 *   foreground (`daemon off`, as a unit's ExecStart would run it with Type=simple/exec). Load:
 *   `wrk -t1 -c8` for a fixed time. Per request it makes the path and fd calls a file server makes
 *   (newfstatat, openat, fstat, close, setsockopt…), so it is the hard case for decision tracing.
 * - redis: no persistence, one client connection per benchmark client. Load: `redis-benchmark -c 8`
 *   GET/SET for a fixed count. Per request it makes only read/write/epoll_wait: a different shape,
 *   the case decision tracing already leaves alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface BenchService {
  name: 'nginx' | 'redis';
  /** The unit's ExecStart as systemd would read it (the wrapper re-declares it). */
  execStart: string;
  /** `systemctl show`-like properties that decide the wrapper and the trace set, as Debian's unit has them. */
  properties: Record<string, string>;
  /** Shell-free argv of the load, run once the service answers; its output goes to `parseLoad`. */
  load: (seconds: number) => string[];
  /** A short warm-up before the measured load (its output is discarded). */
  warmup: string[];
  /** Requests per second from the load's output. */
  parseLoad: (stdout: string) => { requestsPerSec: number; requests: number; errors: number };
  /** Port to poll until the service accepts connections. */
  port: number;
  /** Main program's pid file (written by the service itself), to stop it. */
  pidFile: string;
}

const STATIC_PAGE = `<!DOCTYPE html>
<html><head><title>Welcome to nginx!</title>
<style>html { color-scheme: light dark; } body { width: 35em; margin: 0 auto; font-family: Tahoma, Verdana, Arial, sans-serif; }</style>
</head><body><h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and working. Further configuration is required.</p>
<p>For online documentation and support please refer to <a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at <a href="http://nginx.com/">nginx.com</a>.</p>
<p><em>Thank you for using nginx.</em></p></body></html>
`;

/** Writes the nginx scratch tree (config, docroot, log and temp dirs) under `dir`. */
export function nginxService(dir: string, port: number): BenchService {
  const root = path.join(dir, 'nginx');
  for (const d of ['html', 'log', 'tmp']) fs.mkdirSync(path.join(root, d), { recursive: true });
  // Debian's default site serves index.html, then index.htm, then index.nginx-debian.html:
  // the index file is the last one so that nginx makes the same failing lookups per request.
  fs.writeFileSync(path.join(root, 'html', 'index.nginx-debian.html'), STATIC_PAGE);
  fs.chmodSync(root, 0o755);
  const conf = path.join(root, 'nginx.conf');
  const pidFile = path.join(root, 'nginx.pid');
  const tmp = path.join(root, 'tmp');
  fs.writeFileSync(
    conf,
    `# hush bench:overhead: Debian's nginx.conf and default site, cut to one worker
user www-data;
worker_processes 1;
daemon off;
pid ${pidFile};
error_log ${root}/log/error.log;
events { worker_connections 768; }
http {
  sendfile on;
  tcp_nopush on;
  types_hash_max_size 2048;
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log ${root}/log/access.log;
  client_body_temp_path ${tmp}/body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root}/html;
    index index.html index.htm index.nginx-debian.html;
    server_name _;
    location / { try_files $uri $uri/ =404; }
  }
}
`,
  );
  return {
    name: 'nginx',
    execStart: `/usr/sbin/nginx -c ${conf}`,
    // Debian's nginx.service: KillMode=mixed, stdio to the journal
    properties: {
      KillMode: 'mixed',
      StandardInput: 'null',
      StandardOutput: 'journal',
      StandardError: 'inherit',
      Type: 'simple',
    },
    load: (s) => ['wrk', '-t1', '-c8', `-d${s}s`, `http://127.0.0.1:${port}/`],
    warmup: ['wrk', '-t1', '-c8', '-d1s', `http://127.0.0.1:${port}/`],
    parseLoad: parseWrk,
    port,
    pidFile,
  };
}

/** Writes the redis scratch tree under `dir`; `requests` per benchmark run (GET and SET each). */
export function redisService(dir: string, port: number, requests: number): BenchService {
  const root = path.join(dir, 'redis');
  fs.mkdirSync(root, { recursive: true });
  const conf = path.join(root, 'redis.conf');
  const pidFile = path.join(root, 'redis.pid');
  fs.writeFileSync(
    conf,
    `# hush bench:overhead: no persistence, loopback only
bind 127.0.0.1
port ${port}
daemonize no
pidfile ${pidFile}
dir ${root}
logfile ${root}/redis.log
save ""
appendonly no
`,
  );
  const bench = (n: number) => [
    'redis-benchmark',
    '-p',
    String(port),
    '-c',
    '8',
    '-n',
    String(n),
    '-t',
    'set,get',
    '--csv',
  ];
  return {
    name: 'redis',
    execStart: `/usr/bin/redis-server ${conf}`,
    properties: {
      KillMode: 'control-group',
      StandardInput: 'null',
      StandardOutput: 'journal',
      StandardError: 'inherit',
      Type: 'simple',
    },
    // redis-benchmark has no duration: the count is fixed, the time follows (seconds unused)
    load: () => bench(requests),
    warmup: bench(Math.max(1000, Math.floor(requests / 10))),
    parseLoad: (out) => parseRedisBenchmarkCsv(out, requests),
    port,
    pidFile,
  };
}

/** wrk's summary (`Requests/sec:`, `N requests in`, socket errors, non-2xx). */
export function parseWrk(text: string): { requestsPerSec: number; requests: number; errors: number } {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  const reqs = /^\s*(\d+) requests in /m.exec(text);
  if (!rps || !reqs) throw new Error(`not wrk output: ${text.slice(0, 300)}`);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const errors =
    (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return { requestsPerSec: Number(rps[1]), requests: Number(reqs[1]), errors };
}

/**
 * redis-benchmark --csv: a header line, then `"SET","80971.66",…` per test. The rate is the
 * harmonic combination of the tests (total requests over total time), not their mean.
 */
export function parseRedisBenchmarkCsv(
  text: string,
  requestsPerTest: number,
): { requestsPerSec: number; requests: number; errors: number } {
  const rates = [...text.matchAll(/^"([A-Z_]+)","([\d.]+)"/gm)].map((m) => Number(m[2]));
  if (rates.length === 0 || rates.some((r) => !(r > 0))) {
    throw new Error(`not redis-benchmark --csv output: ${text.slice(0, 300)}`);
  }
  const seconds = rates.reduce((s, r) => s + requestsPerTest / r, 0);
  const requests = requestsPerTest * rates.length;
  return { requestsPerSec: requests / seconds, requests, errors: 0 };
}
