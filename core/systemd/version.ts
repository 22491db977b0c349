/**
 * `systemctl --version`: `systemd 252 (252.38-1~deb12u1)`, then the compile-time feature line
 * (`+PAM … -BPF_FRAMEWORK …`). The version gates options; +BPF_FRAMEWORK gates the BPF-based ones.
 */
export function parseSystemctlVersion(
  text: string,
): { version: number; line: string; bpfFramework?: boolean } | undefined {
  const lines = text.split('\n');
  const first = (lines[0] ?? '').trim();
  const m = /^systemd (\d+)/.exec(first);
  if (!m) return undefined;
  const bpf = /([+-])BPF_FRAMEWORK\b/.exec(lines[1] ?? '');
  return { version: Number(m[1]), line: first, ...(bpf ? { bpfFramework: bpf[1] === '+' } : {}) };
}
