/**
 * A `systemctl show` time span (`1min 30s`, `90s`, `500ms`, `infinity`) in milliseconds;
 * undefined for infinity or text it does not know.
 */
export function parseTimespanMs(text: string | undefined): number | undefined {
  const t = (text ?? '').trim();
  if (t === '' || t === 'infinity') return undefined;
  const unit: Record<string, number> = {
    us: 0.001,
    ms: 1,
    s: 1000,
    min: 60_000,
    h: 3_600_000,
    d: 86_400_000,
  };
  let total = 0;
  for (const part of t.split(/\s+/)) {
    const m = /^(\d+(?:\.\d+)?)(us|ms|s|min|h|d)$/.exec(part);
    if (!m) return undefined;
    total += Number(m[1]) * (unit[m[2] as string] ?? 0);
  }
  return Math.round(total);
}
