/**
 * Small, allocation-light readers over the parser's `Arg` tree, shared by the handlers.
 *
 * strace prints the same value in several shapes (a lone flag is a `sym`, several are `flags`, an
 * unknown bit is an `int` inside `flags`, a mode is an octal `int`…): these helpers hide that so
 * each handler reads like the man page.
 */
import type { Arg } from '../strace/types';

/** The names of the symbolic flags in an argument: `O_RDWR|O_CREAT|0x800` → O_RDWR, O_CREAT. */
export function flagNames(a: Arg | undefined): string[] {
  if (!a) return [];
  switch (a.t) {
    case 'sym':
      return [a.name];
    case 'flags': {
      const out: string[] = [];
      for (const item of a.items) {
        if (item.t === 'sym') out.push(item.name);
        else if (item.t === 'op' && item.left.t === 'sym') out.push(item.left.name);
      }
      return out;
    }
    case 'op':
      return a.left.t === 'sym' ? [a.left.name] : [];
    default:
      return [];
  }
}

/** Whether a flag set contains `name` (a lone symbol counts). */
export function hasFlag(a: Arg | undefined, name: string): boolean {
  if (!a) return false;
  if (a.t === 'sym') return a.name === name;
  if (a.t === 'flags') {
    for (const item of a.items) if (item.t === 'sym' && item.name === name) return true;
  }
  return false;
}

/** The numeric part of an argument: an int, or the OR of the int items of a flag set (a mode `S_IFREG|0644`). */
export function intBits(a: Arg | undefined): number | undefined {
  if (!a) return undefined;
  if (a.t === 'int') return a.value;
  if (a.t === 'flags') {
    let v: number | undefined;
    for (const item of a.items) if (item.t === 'int') v = (v ?? 0) | item.value;
    return v;
  }
  return undefined;
}

/** An integer argument's value (also `htons(80)`-style wrappers and `~0U`-free plain ints). */
export function intValue(a: Arg | undefined): number | undefined {
  if (!a) return undefined;
  if (a.t === 'int') return a.value;
  if (a.t === 'call' && a.args.length === 1) return intValue(a.args[0]);
  if (a.t === 'fd') return a.fd;
  return undefined;
}

/** A string argument's decoded value, unless strace truncated it (a truncated path is not the path). */
export function strValue(a: Arg | undefined): string | undefined {
  if (!a || a.t !== 'str' || a.truncated) return undefined;
  return a.value;
}

/** The text of a symbol, or of an int as printed: for fields we report as strings (protocol, persona…). */
export function symText(a: Arg | undefined): string | undefined {
  if (!a) return undefined;
  switch (a.t) {
    case 'sym':
      return a.name;
    case 'int':
      return a.raw;
    case 'flags':
      return a.items.map((i) => symText(i) ?? '?').join('|');
    case 'raw':
      return a.text;
    default:
      return undefined;
  }
}

/** A struct field, looking through in/out wrappers (`{a=1 => 2}` keeps the value after the call). */
export function field(a: Arg | undefined, name: string): Arg | undefined {
  if (!a) return undefined;
  if (a.t === 'inout') return field(a.out, name) ?? field(a.in, name);
  if (a.t !== 'struct') return undefined;
  const f = a.fields[name];
  return f && f.t === 'inout' ? f.out : f;
}

/** The value an in/out argument holds after the call. */
export function outValue(a: Arg | undefined): Arg | undefined {
  return a && a.t === 'inout' ? a.out : a;
}
