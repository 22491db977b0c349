/**
 * The argument grammar: what strace prints between `NAME(` and `)` (and inside return comments).
 *
 * A recursive-descent parser over a latin1 string with an index: no regular expressions, no
 * per-char allocation. Precedence, loosest first:
 *
 *   expr    := or [' /* … *\/'] [' => ' expr]          in/out value (`{…} => {…}`, `128 => 20`)
 *   or      := eq  ((' && ' | ' || ') eq)*             wait status `WIFEXITED(s) && WEXITSTATUS(s) == 0`
 *   eq      := bor ((' == ' | ' != ') bor)*
 *   bor     := shift ('|' shift)*                      flags `O_RDONLY|O_CLOEXEC`, `S_IFREG|0644`
 *   shift   := add (('<<' | '>>') add)*                `1<<CAP_CHOWN`
 *   add     := mul (('+' | '-') mul)*                  `SIGRTMIN+2`
 *   mul     := unary ('*' unary)*                      `8192*1024`
 *   unary   := '~' unary | primary
 *   primary := string | '[' … ']' | '{' … '}' | number ['<' decoration '>'] | NULL
 *            | ident ['(' args ')'] ['<' decoration '>'] | '&' ident | '...' | MAC address
 *
 * Errors never throw: a parse returns null and `error` says why.
 */
import type { Arg } from './types';
import { decodeDecoration, decodeDecorationText, decodeEscaped, decoded, isDecorationEnd } from './decode';

/** Guards recursion on hostile input (`[[[[…`): real strace output nests a handful of levels. */
const MAX_DEPTH = 64;

const C_SPACE = 32;
const C_QUOTE = 34;
const C_AMP = 38;
const C_LPAREN = 40;
const C_RPAREN = 41;
const C_STAR = 42;
const C_PLUS = 43;
const C_COMMA = 44;
const C_MINUS = 45;
const C_DOT = 46;
const C_COLON = 58;
const C_LT = 60;
const C_EQ = 61;
const C_GT = 62;
const C_AT = 64;
const C_LBRACKET = 91;
const C_RBRACKET = 93;
const C_LBRACE = 123;
const C_PIPE = 124;
const C_RBRACE = 125;
const C_TILDE = 126;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentChar(c: number): boolean {
  // `?` appears in names strace cannot resolve (`FUTEX_???`, `E???`).
  return isIdentStart(c) || isDigit(c) || c === 63;
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** Parses arguments. One instance is reused for every line (fields instead of allocations). */
export class ArgParser {
  /**
   * Parse top-level structs and arrays of structs lazily: the text is only bracket-matched, and
   * the tree is built when a consumer first reads `fields` / `items` (see {@link lazyStruct}).
   * The summary reads a few scalars of most calls (the path of newfstatat, the fd of
   * getdents64) and never the large stat structs or dirent arrays that -v prints.
   */
  constructor(private readonly lazy = true) {}

  private s = '';
  private i = 0;
  private end = 0;
  private depth = 0;
  /** Why the last parse failed. */
  error = '';

  /**
   * Parses a comma-separated argument list covering exactly `s[start, end)`. With `partial`
   * (the text before `<unfinished ...>`), a trailing `, ` or space is accepted. Named arguments
   * (`child_stack=NULL, flags=…` of clone) become a single struct, as they name one record.
   */
  parseList(s: string, start: number, end: number, partial = false): Arg[] | null {
    this.s = s;
    this.i = start;
    this.end = end;
    this.depth = 0;
    this.error = '';
    const out: Arg[] = [];
    if (start >= end) return out;
    if (this.atNamedMember()) {
      const st = this.parseMembers(-1, partial);
      if (!st) return null;
      out.push(st);
      return this.atEnd(partial) ? out : this.fail('unexpected text after arguments');
    }
    for (;;) {
      if (partial && this.atEnd(true)) return out;
      const a = this.parseExpr();
      if (!a) return null;
      out.push(a);
      if (this.i >= end) return out;
      if (this.s.charCodeAt(this.i) === C_COMMA && this.s.charCodeAt(this.i + 1) === C_SPACE) {
        this.i += 2;
        continue;
      }
      if (partial && this.atEnd(true)) return out;
      return this.fail('expected ", " between arguments');
    }
  }

  /** Parses one expression covering exactly `s[start, end)` (e.g. a signal's siginfo). */
  parseOne(s: string, start: number, end: number): Arg | null {
    this.s = s;
    this.i = start;
    this.end = end;
    this.depth = 0;
    this.error = '';
    const a = this.parseExpr();
    if (!a) return null;
    return this.i === end ? a : this.fail('unexpected text after expression');
  }

  private atEnd(partial: boolean): boolean {
    if (this.i >= this.end) return true;
    if (!partial) return false;
    // remaining text is only separators: ", " / " "
    for (let k = this.i; k < this.end; k++) {
      const c = this.s.charCodeAt(k);
      if (c !== C_SPACE && c !== C_COMMA) return false;
    }
    this.i = this.end;
    return true;
  }

  private fail(msg: string): null {
    if (!this.error) this.error = `${msg} at column ${this.i}`;
    return null;
  }

  private startsWith(lit: string): boolean {
    return this.s.startsWith(lit, this.i) && this.i + lit.length <= this.end;
  }

  /** `ident=` (not `ident==`) at the cursor: a named struct member. */
  private atNamedMember(): boolean {
    let k = this.i;
    const s = this.s;
    if (!isIdentStart(s.charCodeAt(k))) return false;
    k++;
    while (k < this.end && isIdentChar(s.charCodeAt(k))) k++;
    return k < this.end && s.charCodeAt(k) === C_EQ && s.charCodeAt(k + 1) !== C_EQ;
  }

  private parseExpr(): Arg | null {
    if (++this.depth > MAX_DEPTH) return this.fail('nesting too deep');
    let a = this.parseUnary();
    // Most values end at `, ` or at the end of the list, where no operator can follow: the
    // precedence chain (six calls deep) is entered only when something else comes next, with the
    // value just parsed as its first operand.
    if (a && this.i < this.end && this.s.charCodeAt(this.i) !== C_COMMA) a = this.parseOr(a);
    if (a) a = this.afterExpr(a);
    this.depth--;
    return a;
  }

  /** Comments, then an in/out arrow. */
  private afterExpr(a: Arg): Arg | null {
    // both forms start with a space; most values are followed by `,`, `)`, `}` or `]`
    if (this.s.charCodeAt(this.i) !== C_SPACE) return a;
    this.skipComment();
    if (this.startsWith(' => ')) {
      this.i += 4;
      const out = this.parseExpr();
      if (!out) return null;
      return { t: 'inout', in: a, out };
    }
    return a;
  }

  private skipComment(): void {
    while (this.startsWith(' /*')) {
      const close = this.s.indexOf('*/', this.i + 3);
      if (close < 0 || close + 2 > this.end) return;
      this.i = close + 2;
    }
  }

  /** `first`: the first operand, already parsed (parseExpr); the same for each level below. */
  private parseOr(first?: Arg): Arg | null {
    let left = this.parseEq(first);
    while (left && (this.startsWith(' && ') || this.startsWith(' || '))) {
      const op = this.s.slice(this.i + 1, this.i + 3);
      this.i += 4;
      const right = this.parseEq();
      if (!right) return null;
      left = { t: 'op', op, left, right };
    }
    return left;
  }

  private parseEq(first?: Arg): Arg | null {
    let left = this.parseBor(first);
    while (left && (this.startsWith(' == ') || this.startsWith(' != '))) {
      const op = this.s.slice(this.i + 1, this.i + 3);
      this.i += 4;
      const right = this.parseBor();
      if (!right) return null;
      left = { t: 'op', op, left, right };
    }
    return left;
  }

  private parseBor(firstOperand?: Arg): Arg | null {
    const first = this.parseShift(firstOperand);
    if (!first || this.s.charCodeAt(this.i) !== C_PIPE || this.i >= this.end) return first;
    const items: Arg[] = [first];
    while (
      this.i < this.end &&
      this.s.charCodeAt(this.i) === C_PIPE &&
      this.s.charCodeAt(this.i + 1) !== C_PIPE
    ) {
      this.i++;
      const next = this.parseShift();
      if (!next) return null;
      items.push(next);
    }
    return { t: 'flags', items };
  }

  private parseShift(first?: Arg): Arg | null {
    let left = this.parseAdd(first);
    while (left && this.i + 1 < this.end) {
      const c = this.s.charCodeAt(this.i);
      if (!((c === C_LT || c === C_GT) && this.s.charCodeAt(this.i + 1) === c)) break;
      this.i += 2;
      const right = this.parseAdd();
      if (!right) return null;
      left = { t: 'op', op: c === C_LT ? '<<' : '>>', left, right };
    }
    return left;
  }

  private parseAdd(first?: Arg): Arg | null {
    let left = this.parseMul(first);
    while (left && this.i + 1 < this.end) {
      const c = this.s.charCodeAt(this.i);
      if (c !== C_PLUS && c !== C_MINUS) break;
      const n = this.s.charCodeAt(this.i + 1);
      if (!isDigit(n) && !isIdentStart(n)) break;
      this.i++;
      const right = this.parseMul();
      if (!right) return null;
      left = { t: 'op', op: c === C_PLUS ? '+' : '-', left, right };
    }
    return left;
  }

  private parseMul(first?: Arg): Arg | null {
    let left = first ?? this.parseUnary();
    while (left && this.i < this.end && this.s.charCodeAt(this.i) === C_STAR) {
      this.i++;
      const right = this.parseUnary();
      if (!right) return null;
      left = { t: 'op', op: '*', left, right };
    }
    return left;
  }

  private parseUnary(): Arg | null {
    if (this.i < this.end && this.s.charCodeAt(this.i) === C_TILDE) {
      this.i++;
      if (++this.depth > MAX_DEPTH) return this.fail('nesting too deep');
      const inner = this.parseUnary();
      this.depth--;
      if (!inner) return null;
      if (inner.t === 'array') return { t: 'set', negated: true, items: inner.items.map(argText) };
      if (inner.t === 'set') return { t: 'set', negated: !inner.negated, items: inner.items };
      return { t: 'call', fn: '~', args: [inner] };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Arg | null {
    if (this.i >= this.end) return this.fail('expected a value');
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === C_QUOTE) return this.parseString(false);
    if (c === C_AT && s.charCodeAt(this.i + 1) === C_QUOTE) {
      this.i++;
      return this.parseString(true);
    }
    if (c === C_LBRACKET) {
      if (this.lazy && this.depth === 1 && s.charCodeAt(this.i + 1) === C_LBRACE)
        return this.lazyCompound(false);
      return this.parseBracket();
    }
    if (c === C_LBRACE) {
      if (this.lazy && this.depth === 1) return this.lazyCompound(true);
      return this.parseMembers(C_RBRACE, false);
    }
    if (isDigit(c) || (c === C_MINUS && isDigit(s.charCodeAt(this.i + 1)))) return this.parseNumber();
    if (isIdentStart(c)) return this.parseIdent();
    if (c === C_AMP) {
      const start = this.i++;
      while (this.i < this.end && isIdentChar(s.charCodeAt(this.i))) this.i++;
      return { t: 'raw', text: s.slice(start, this.i) };
    }
    if (c === C_DOT && this.startsWith('...')) {
      this.i += 3;
      return { t: 'raw', text: '...' };
    }
    if (c === C_LPAREN) {
      // a parenthesised sub-expression (rare: `(1<<2)`)
      this.i++;
      const inner = this.parseExpr();
      if (!inner) return null;
      if (s.charCodeAt(this.i) !== C_RPAREN) return this.fail('expected ")"');
      this.i++;
      return inner;
    }
    return this.fail(`unexpected ${JSON.stringify(s[this.i])}`);
  }

  /** A top-level `{…}` or `[{…}, …]`: bracket-matched now, parsed on first read. */
  private lazyCompound(struct: boolean): Arg | null {
    const start = this.i;
    const after = skipBalanced(this.s, start, this.end);
    if (after < 0) return this.fail(struct ? 'unbalanced "{"' : 'unbalanced "["');
    this.i = after;
    const truncated = endsInEllipsis(this.s, start, after - 1);
    const text = this.s.slice(start, after);
    return struct ? lazyStruct(text, truncated) : lazyArray(text, truncated);
  }

  private parseString(abstract: boolean): Arg | null {
    if (!decodeEscaped(this.s, this.i + 1, 34, this.end)) return this.fail('bad string');
    this.i = decoded.end + 1;
    let truncated = false;
    if (this.startsWith('...')) {
      truncated = true;
      this.i += 3;
    }
    return abstract
      ? { t: 'str', value: decoded.value, truncated, abstract }
      : { t: 'str', value: decoded.value, truncated };
  }

  /**
   * Index of the `>` closing the decoration opened at the cursor (`<`), cursor moved past it;
   * -1 when there is none. Path bytes are escaped by strace, so the first `>` followed by a
   * delimiter closes it (a -yy socket's `->` is followed by an address).
   */
  private decorationEnd(): number {
    const s = this.s;
    let k = s.indexOf('>', this.i + 1);
    while (k >= 0 && k < this.end) {
      if (isDecorationEnd(s, k + 1, this.end)) {
        this.i = k + 1;
        return k;
      }
      k = s.indexOf('>', k + 1);
    }
    return -1;
  }

  /** `<…>` fd decoration right after a value; returns the decoded text or null. */
  private parseDecoration(): string | null {
    if (!decodeDecoration(this.s, this.i + 1, this.end)) return null;
    this.i = decoded.end + 1;
    return decoded.value;
  }

  private parseNumber(): Arg | null {
    const s = this.s;
    const start = this.i;
    const end = this.end;
    let k = start;
    const neg = s.charCodeAt(k) === C_MINUS;
    if (neg) k++;
    let value = 0;
    let small = false; // a plain decimal 0…SMALL_INTS-1: its text comes from a table, no slice
    if (s.charCodeAt(k) === 48 && (s.charCodeAt(k + 1) === 120 || s.charCodeAt(k + 1) === 88)) {
      k += 2;
      const digits = k;
      for (; k < end; k++) {
        const h = hexDigitValue(s.charCodeAt(k));
        if (h < 0) break;
        value = value * 16 + h;
      }
      if (k === digits) return this.fail('bad hex number');
      // beyond 13 hex digits the running product loses bits: let parseInt round once
      if (k - digits > 13) value = parseInt(s.slice(digits, k), 16);
      if (neg) value = -value;
    } else {
      const digits = k;
      for (; k < end; k++) {
        const c = s.charCodeAt(k);
        if (c < 48 || c > 57) break;
        value = value * 10 + (c - 48);
      }
      if (s.charCodeAt(k) === C_DOT && isDigit(s.charCodeAt(k + 1))) {
        // a fraction (load averages, timestamps inside some structs)
        k++;
        while (k < end && isDigit(s.charCodeAt(k))) k++;
        value = Number(s.slice(start, k));
      } else if (s.charCodeAt(digits) === 48 && k - digits > 1) {
        if (isOctal(s, digits, k)) value = parseInt(s.slice(digits, k), 8);
        else value = Number(s.slice(digits, k));
        if (neg) value = -value;
      } else {
        if (k - digits > 15) value = Number(s.slice(digits, k));
        else small = !neg && value < SMALL_INTS;
        if (neg) value = -value;
      }
      // a MAC address or similar colon-separated hex: `00:11:22:33:44:55`
      if (s.charCodeAt(k) === C_COLON && isHexDigit(s.charCodeAt(k + 1))) return this.parseColonHex(start);
    }
    // hex digits glued to letters (a MAC beginning with digits then letters, `00a0…`)
    if (k < end && isIdentChar(s.charCodeAt(k))) {
      let m = k;
      while (m < end && isHexDigit(s.charCodeAt(m))) m++;
      if (s.charCodeAt(m) === C_COLON) return this.parseColonHex(start);
      return this.fail('bad number');
    }
    this.i = k;
    if (k < end && s.charCodeAt(k) === C_LT && s.charCodeAt(k + 1) !== C_LT) {
      if (this.lazy) {
        const close = this.decorationEnd();
        if (close < 0) return this.fail('bad fd decoration');
        return new LazyFd(value, s.slice(k + 1, close));
      }
      const path = this.parseDecoration();
      if (path === null) return this.fail('bad fd decoration');
      return { t: 'fd', fd: value, path };
    }
    return { t: 'int', value, raw: small ? SMALL_INT_TEXT[value]! : s.slice(start, k) };
  }

  private parseColonHex(start: number): Arg {
    let k = start;
    while (k < this.end && (isHexDigit(this.s.charCodeAt(k)) || this.s.charCodeAt(k) === C_COLON)) k++;
    this.i = k;
    return { t: 'raw', text: this.s.slice(start, k) };
  }

  private parseIdent(): Arg | null {
    const s = this.s;
    const start = this.i;
    let k = this.i + 1;
    while (k < this.end && isIdentChar(s.charCodeAt(k))) k++;
    const c = s.charCodeAt(k);
    if (c === C_COLON && isHexDigit(s.charCodeAt(k + 1))) return this.parseColonHex(start);
    const name = s.slice(start, k);
    this.i = k;
    if (k < this.end && c === C_LPAREN) {
      this.i++;
      if (++this.depth > MAX_DEPTH) return this.fail('nesting too deep');
      const args: Arg[] = [];
      if (s.charCodeAt(this.i) !== C_RPAREN) {
        for (;;) {
          const a = this.parseExpr();
          if (!a) return null;
          args.push(a);
          if (this.startsWith(', ')) {
            this.i += 2;
            continue;
          }
          break;
        }
      }
      this.depth--;
      if (s.charCodeAt(this.i) !== C_RPAREN || this.i >= this.end)
        return this.fail(`expected ")" after ${name}(`);
      this.i++;
      return { t: 'call', fn: name, args };
    }
    if (name === 'NULL') return { t: 'null' };
    if (k < this.end && c === C_LT && s.charCodeAt(k + 1) !== C_LT) {
      if (this.lazy) {
        const close = this.decorationEnd();
        if (close < 0) return this.fail('bad decoration');
        return new LazySym(name, s.slice(k + 1, close));
      }
      const path = this.parseDecoration();
      if (path === null) return this.fail('bad decoration');
      return { t: 'sym', name, path };
    }
    return { t: 'sym', name };
  }

  /** `[`: array, `[a => b]` in/out, `[A B C]` bit set, `[[IDX]=v, …]` indexed array. */
  private parseBracket(): Arg | null {
    const s = this.s;
    this.i++;
    if (++this.depth > MAX_DEPTH) return this.fail('nesting too deep');
    const items: Arg[] = [];
    let truncated = false;
    if (s.charCodeAt(this.i) === C_RBRACKET) {
      this.i++;
      this.depth--;
      return { t: 'array', items, truncated };
    }
    for (;;) {
      this.skipIndex();
      if (this.startsWith('...')) {
        this.i += 3;
        truncated = true;
      } else {
        const a = this.parseExpr();
        if (!a) return null;
        items.push(a);
      }
      if (this.i >= this.end) return this.fail('unterminated "["');
      const c = s.charCodeAt(this.i);
      if (c === C_RBRACKET) {
        this.i++;
        break;
      }
      if (c === C_COMMA && s.charCodeAt(this.i + 1) === C_SPACE) {
        this.i += 2;
        continue;
      }
      if (c === C_SPACE && items.length > 0 && !truncated) {
        // a bit set: space-separated names or numbers, maybe ending in "..."
        const set = this.parseSetRest(items);
        this.depth--;
        return set;
      }
      return this.fail('expected "," or "]"');
    }
    this.depth--;
    const only = items[0];
    if (items.length === 1 && !truncated && only && only.t === 'inout') return only;
    return { t: 'array', items, truncated };
  }

  private skipIndex(): void {
    // `[VINTR]=` / `[0]=` prefixes of indexed arrays: the index is dropped.
    const s = this.s;
    if (s.charCodeAt(this.i) !== C_LBRACKET) return;
    let k = this.i + 1;
    while (k < this.end && isIdentChar(s.charCodeAt(k))) k++;
    if (k > this.i + 1 && s.charCodeAt(k) === C_RBRACKET && s.charCodeAt(k + 1) === C_EQ) this.i = k + 2;
  }

  private parseSetRest(first: Arg[]): Arg | null {
    const s = this.s;
    const items: string[] = [];
    for (const a of first) {
      if (a.t !== 'sym' && a.t !== 'int') return this.fail('bad set member');
      items.push(argText(a));
    }
    while (this.i < this.end) {
      const c = s.charCodeAt(this.i);
      if (c === C_RBRACKET) {
        this.i++;
        return { t: 'set', negated: false, items };
      }
      if (c !== C_SPACE) return this.fail('bad set');
      this.i++;
      const start = this.i;
      while (this.i < this.end && (isIdentChar(s.charCodeAt(this.i)) || s.charCodeAt(this.i) === C_DOT))
        this.i++;
      if (this.i === start) return this.fail('empty set member');
      const word = s.slice(start, this.i);
      if (word !== '...') items.push(word);
    }
    return this.fail('unterminated set');
  }

  /**
   * Struct members until `close` (`}`), or to the end of the range when close is -1 (top-level
   * named arguments). Members: `name=value`, or a bare value: a macro carrying `&dest`
   * (`inet_pton(AF_INET6, "::1", &sin6_addr)`) is stored under `dest`, others under their index.
   */
  private parseMembers(close: number, partial: boolean): Arg | null {
    const s = this.s;
    if (close !== -1) this.i++;
    if (++this.depth > MAX_DEPTH) return this.fail('nesting too deep');
    const fields: Record<string, Arg> = {};
    let truncated = false;
    let index = 0;
    for (;;) {
      if (close !== -1 && s.charCodeAt(this.i) === close && this.i < this.end) {
        this.i++;
        break;
      }
      if (close === -1 && (this.i >= this.end || (partial && this.atEnd(true)))) break;
      if (this.startsWith('...')) {
        this.i += 3;
        truncated = true;
      } else if (this.atNamedMember()) {
        const start = this.i;
        while (s.charCodeAt(this.i) !== C_EQ) this.i++;
        const name = s.slice(start, this.i);
        this.i++;
        const v = this.parseExpr();
        if (!v) return null;
        fields[name] = v;
      } else {
        const v = this.parseExpr();
        if (!v) return null;
        fields[memberName(v) ?? String(index)] = v;
      }
      index++;
      if (close !== -1 && s.charCodeAt(this.i) === close && this.i < this.end) {
        this.i++;
        break;
      }
      if (close === -1 && this.i >= this.end) break;
      if (s.charCodeAt(this.i) === C_COMMA && s.charCodeAt(this.i + 1) === C_SPACE) {
        this.i += 2;
        continue;
      }
      if (close === -1 && partial && this.atEnd(true)) break;
      return this.fail('expected "," or "}"');
    }
    this.depth--;
    return { t: 'struct', fields, truncated };
  }
}

/** Parser for lazy nodes: eager (a lazy node must not produce another lazy node). */
const eagerParser = new ArgParser(false);

/**
 * A struct whose fields are parsed when first read. A class with a prototype getter: creating one
 * costs a plain allocation (an object literal with a getter costs microseconds in V8). Reading
 * `fields`, `in`, `for…in` and JSON.stringify (toJSON) behave as with an eager struct; deep
 * equality helpers that only look at own properties need {@link toPlainArg} first.
 */
export class LazyStruct {
  readonly t = 'struct' as const;
  private parsed: Record<string, Arg> | undefined = undefined;
  constructor(
    private text: string,
    readonly truncated: boolean,
  ) {}

  get fields(): Record<string, Arg> {
    if (this.parsed === undefined) {
      const a = eagerParser.parseOne(this.text, 0, this.text.length);
      if (a && a.t === 'struct') this.parsed = a.fields;
      // Text that fails to parse when read is kept raw, as the eager parser keeps it.
      else this.parsed = { '?': { t: 'raw', text: this.text } };
      this.text = '';
    }
    return this.parsed;
  }

  toJSON(): Arg {
    return { t: 'struct', fields: this.fields, truncated: this.truncated };
  }
}

/**
 * A decoration (`3</etc/passwd>`, `AT_FDCWD</srv>`) whose path is decoded when first read: most
 * handlers need only some of the paths (a relative path needs its dirfd's, an absolute one does not).
 */
abstract class LazyDecoration {
  private decodedPath: string | undefined = undefined;
  constructor(private text: string) {}

  get path(): string {
    if (this.decodedPath === undefined) {
      this.decodedPath = decodeDecorationText(this.text);
      this.text = '';
    }
    return this.decodedPath;
  }
}

/** A decorated fd (`3</etc/passwd>`), its path decoded when first read. */
export class LazyFd extends LazyDecoration {
  readonly t = 'fd' as const;
  constructor(
    readonly fd: number,
    text: string,
  ) {
    super(text);
  }

  toJSON(): Arg {
    return { t: 'fd', fd: this.fd, path: this.path };
  }
}

/** A decorated symbolic fd (`AT_FDCWD</srv>`), its path decoded when first read. */
export class LazySym extends LazyDecoration {
  readonly t = 'sym' as const;
  constructor(
    readonly name: string,
    text: string,
  ) {
    super(text);
  }

  toJSON(): Arg {
    return { t: 'sym', name: this.name, path: this.path };
  }
}

/** An array (of structs) whose items are parsed when first read; see {@link LazyStruct}. */
export class LazyArray {
  readonly t = 'array' as const;
  private parsed: Arg[] | undefined = undefined;
  constructor(
    private text: string,
    readonly truncated: boolean,
  ) {}

  get items(): Arg[] {
    if (this.parsed === undefined) {
      const a = eagerParser.parseOne(this.text, 0, this.text.length);
      if (a && a.t === 'array') this.parsed = a.items;
      else if (a) this.parsed = [a];
      else this.parsed = [{ t: 'raw', text: this.text }];
      this.text = '';
    }
    return this.parsed;
  }

  toJSON(): Arg {
    return { t: 'array', items: this.items, truncated: this.truncated };
  }
}

function lazyStruct(text: string, truncated: boolean): Arg {
  return new LazyStruct(text, truncated);
}

function lazyArray(text: string, truncated: boolean): Arg {
  return new LazyArray(text, truncated);
}

/** A deep copy of an argument tree with every lazy node replaced by a plain object. */
export function toPlainArg(a: Arg): Arg {
  switch (a.t) {
    case 'struct': {
      const fields: Record<string, Arg> = {};
      for (const k in a.fields) fields[k] = toPlainArg(a.fields[k]!);
      return { t: 'struct', fields, truncated: a.truncated };
    }
    case 'array':
      return { t: 'array', items: a.items.map(toPlainArg), truncated: a.truncated };
    case 'flags':
      return { t: 'flags', items: a.items.map(toPlainArg) };
    case 'call':
      return { t: 'call', fn: a.fn, args: a.args.map(toPlainArg) };
    case 'op':
      return { t: 'op', op: a.op, left: toPlainArg(a.left), right: toPlainArg(a.right) };
    case 'inout':
      return { t: 'inout', in: toPlainArg(a.in), out: toPlainArg(a.out) };
    case 'fd':
      return { t: 'fd', fd: a.fd, path: a.path };
    case 'sym':
      return a.path === undefined ? { t: 'sym', name: a.name } : { t: 'sym', name: a.name, path: a.path };
    default:
      return a;
  }
}

/**
 * Index after the bracket matching the opener at `i` (`{`, `[` or `(`), or -1. Strings are
 * skipped with their escapes; bracket kinds are not told apart (strace output nests properly).
 */
export function skipBalanced(s: string, i: number, end: number): number {
  // The regex engine's compiled scan jumps over the long runs of `\xHH` text between brackets
  // far faster than a charCodeAt loop; test() with a sticky lastIndex allocates nothing.
  let depth = 0;
  const re = SPECIAL;
  re.lastIndex = i;
  while (re.test(s)) {
    const k = re.lastIndex - 1;
    if (k >= end) return -1;
    const c = s.charCodeAt(k);
    if (c === C_QUOTE) {
      const m = closingQuote(s, k + 1, end);
      if (m < 0) return -1;
      re.lastIndex = m + 1;
    } else if (c === C_LBRACE || c === C_LBRACKET || c === C_LPAREN) depth++;
    else if (--depth === 0) return k + 1;
  }
  return -1;
}

const SPECIAL = /[{}[\]()"]/g;

/** Index of the quote closing a string whose text starts at `from` (escaped quotes skipped), or -1. */
function closingQuote(s: string, from: number, end: number): number {
  let m = s.indexOf('"', from);
  while (m >= 0 && m < end) {
    // odd number of backslashes before it: an escaped quote (never with -xx)
    let b = m - 1;
    while (b >= from && s.charCodeAt(b) === 92) b--;
    if ((m - 1 - b) % 2 === 0) return m;
    m = s.indexOf('"', m + 1);
  }
  return -1;
}

/** `…, ...}` or `{...}`: a compound that strace cut short (a string's own `"..."` does not count). */
function endsInEllipsis(s: string, start: number, close: number): boolean {
  if (close - 3 <= start || !s.startsWith('...', close - 3)) return false;
  const before = s.charCodeAt(close - 4);
  return close - 4 === start || before === C_SPACE;
}

const SMALL_INTS = 4096;
const SMALL_INT_TEXT: string[] = Array.from({ length: SMALL_INTS }, (_, n) => String(n));

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX_VALUE[48 + c] = c;
for (let c = 0; c < 6; c++) HEX_VALUE[97 + c] = HEX_VALUE[65 + c] = 10 + c;

function hexDigitValue(c: number): number {
  return c < 128 ? HEX_VALUE[c]! : -1;
}

function isOctal(s: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 55) return false;
  }
  return true;
}

/** `inet_pton(AF_INET6, "::1", &sin6_addr)` → `sin6_addr`. */
function memberName(v: Arg): string | undefined {
  if (v.t !== 'call') return undefined;
  const last = v.args[v.args.length - 1];
  if (last && last.t === 'raw' && last.text.charCodeAt(0) === C_AMP) return last.text.slice(1);
  return undefined;
}

/** Text of a simple value (set members). */
export function argText(a: Arg): string {
  switch (a.t) {
    case 'sym':
      return a.name;
    case 'int':
      return a.raw;
    case 'raw':
      return a.text;
    case 'str':
      return a.value;
    default:
      return JSON.stringify(a);
  }
}
