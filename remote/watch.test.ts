import { dropInAssignments, parseRound, roundCommand } from './watch';

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
