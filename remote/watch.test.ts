import type { HostFacts } from '../core/profile/hostFacts';
import type { HostLink } from './host';
import { dropInAssignments, parseRound, roundCommand, watchUnit, WatchIncompleteError } from './watch';

const text = (c: ReturnType<typeof roundCommand>) => c.text;

describe('a watch round', () => {
  test('the unit and cursor are quoted; only seccomp records of the kernel pass the filter', () => {
    const t = text(roundCommand("x'y.service", { cursor: "s=1;i=2'" }, '@@m@@'));
    expect(t).toContain(`u='x'\\''y.service'`);
    expect(t).toContain(`--after-cursor='s=1;i=2'\\'''`);
    expect(t).toContain('index($0, "\\"_TRANSPORT\\":\\"kernel\\"") == 0 || index($0, "type=1326") > 0');
  });

  test('output splits at the markers; pids and programs are validated', () => {
    const out = parseRound('{"a":1}\n@@m@@\n12\nnot-a-pid\n13\n@@m@@\n/usr/sbin/nginx\nrelative\n', '@@m@@');
    expect(out).toEqual({ journal: '{"a":1}\n', pids: [12, 13], programs: ['/usr/sbin/nginx'] });
    expect(() => parseRound('no markers', '@@m@@')).toThrow(/markers/);
  });
});

test("hush's drop-in: [Service] assignments and the mode of its header", () => {
  const r = dropInAssignments(
    '# profile sha256:ab  mode standard  systemd 257\n[Service]\nProtectHome=yes\nSystemCallFilter=~@mount\n[Unit]\nX=1\n',
  );
  expect(r).toEqual({
    mode: 'standard',
    dropIn: [
      { option: 'ProtectHome', value: 'yes' },
      { option: 'SystemCallFilter', value: '~@mount' },
    ],
  });
  expect(dropInAssignments(null)).toEqual({ dropIn: [] });
});

describe('a watch that cannot read the journal is not a quiet window', () => {
  // the analysis never runs on an empty journal: facts are not read
  const relax = { dropIn: [], facts: {} as HostFacts };
  const unreachable = () => Promise.reject(new Error('Timed out while waiting for handshake'));
  /** A host whose journal is empty: every round succeeds with nothing to report. */
  const quietHost = (): HostLink => ({
    closed: false,
    target: 'root@test',
    exec: (cmd) => {
      const m = /m='?(@@hush-watch-[0-9a-f]+@@)/.exec(cmd.text)?.[1] ?? '';
      return Promise.resolve({ code: 0, stdout: `${m}\n12\n${m}\n/usr/sbin/nginx\n`, stderr: '' });
    },
    close: () => Promise.resolve(),
  });

  test('every read failing (an overloaded host refusing handshakes) throws WatchIncompleteError', async () => {
    const log: string[] = [];
    await expect(
      watchUnit({
        connect: unreachable,
        unit: 'nginx.service',
        durationMs: 10,
        since: { cursor: 's=1' },
        relax,
        retryMs: 1,
        log: (l) => log.push(l),
      }),
    ).rejects.toBeInstanceOf(WatchIncompleteError);
    expect(log.filter((l) => l.includes('last read failed'))).toHaveLength(5);
  });

  test('rounds that failed during the window are covered by a last read that works (it reads from the cursor)', async () => {
    let dials = 0;
    const r = await watchUnit({
      connect: () => (++dials <= 2 ? unreachable() : Promise.resolve(quietHost())),
      unit: 'nginx.service',
      durationMs: 10,
      since: { cursor: 's=1' },
      relax,
      retryMs: 1,
    });
    expect(r.rounds).toBe(1);
    expect(r.denials).toEqual([]);
  });
});
