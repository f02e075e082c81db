/**
 * JSON as Vagga's version hash sees it: Vagga (master, Cargo.lock: serde_json 1.0.72 without
 * features, ryu 1.0.6) parses composer.json/composer.lock into a `serde_json::Value` and
 * hashes each selected value's `Display` text, the compact serialisation (src/digest.rs
 * `impl Digestable for serde_json::Value`). This module reproduces that text from the file's
 * bytes, so that `!ComposerDependencies` hashes as in Vagga:
 * - objects are BTreeMaps: keys sorted bytewise (UTF-8), a repeated key keeps its last value;
 * - strings escape only `"`, `\` and control characters (`\b \t \n \f \r`, others `\u00xx`
 *   in lowercase hex); `/` and non-ASCII characters are written as they are;
 * - numbers: an integer literal that fits u64 (or, negative, i64) is printed as written
 *   without sign quirks; every other number (a fraction, an exponent, `-0`, an integer too
 *   big) becomes an f64 by serde_json's own arithmetic (without its `float_roundtrip`
 *   feature: significand times or divided by a power of ten, digits past u64 dropped) and is
 *   printed by ryu (`1.0`, `0.001`, `1e16`, `1.5e-7`, `-0.0`);
 * - the parser's errors follow serde_json's (lone surrogates, control characters in strings,
 *   nesting deeper than 127, trailing characters, numbers out of range, invalid UTF-8).
 * Pure; independent re-implementation from the behaviour of those crates.
 */

/** A parsed JSON value. Numbers keep only the text serde_json prints for them. */
export type SerdeJson =
  | null
  | boolean
  | string
  | { readonly number: string }
  | SerdeJson[]
  | Map<string, SerdeJson>;

/** A syntax error, worded as serde_json's (`expected value at line 1 column 1`). */
export class SerdeJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SerdeJsonError';
  }
}

const U64_MAX = 18446744073709551615n;
const I64_MIN_ABS = 9223372036854775808n;
const I32_MAX = 2147483647;
/** serde_json's recursion limit: 128 levels, the 128th `[`/`{` is refused. */
const MAX_DEPTH = 128;
/** 1e0..1e308 as correctly rounded doubles (Rust's literals of serde_json's POW10 table). */
const POW10: readonly number[] = Array.from({ length: 309 }, (_, i) => Number(`1e${i}`));
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** serde_json's `overflow!(a * 10 + b, max)` for u64. */
function overflowsU64(a: bigint, b: number): boolean {
  return a >= U64_MAX / 10n && (a > U64_MAX / 10n || BigInt(b) > U64_MAX % 10n);
}

/** serde_json's `overflow!(a * 10 + b, i32::MAX)`. */
function overflowsI32(a: number, b: number): boolean {
  const q = Math.floor(I32_MAX / 10);
  return a >= q && (a > q || b > I32_MAX % 10);
}

/** i32 saturating add (serde_json's `starting_exp.saturating_add(exp)`). */
function saturate(n: number): number {
  return Math.max(-I32_MAX - 1, Math.min(I32_MAX, n));
}

/**
 * ryu 1.0.6's `format64` of a finite double: the shortest round-trip digits, laid out as
 * `12340000000.0` / `12.34` / `0.001234` (decimal point position -5 < kk <= 16) or
 * `1e30` / `1.234e33` / `1e-7` otherwise.
 */
export function ryuFormat(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mant, exp] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const length = digits.length;
  const kk = Number(exp) + 1; // 10^(kk-1) <= v < 10^kk
  const k = kk - length;
  let body: string;
  if (k >= 0 && kk <= 16) body = `${digits}${'0'.repeat(k)}.0`;
  else if (kk > 0 && kk <= 16) body = `${digits.slice(0, kk)}.${digits.slice(kk)}`;
  else if (kk > -5 && kk <= 0) body = `0.${'0'.repeat(-kk)}${digits}`;
  else if (length === 1) body = `${digits}e${kk - 1}`;
  else body = `${digits[0]}.${digits.slice(1)}e${kk - 1}`;
  return sign + body;
}

/** Parser state over the file's bytes. */
class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly bytes: Uint8Array) {}

  /** `<message> at line L column C` for the byte at `at` (serde_json counts columns in bytes). */
  error(message: string, at = this.pos): SerdeJsonError {
    let line = 1;
    let column = 0;
    for (let i = 0; i < at && i < this.bytes.length; i++) {
      if (this.bytes[i] === 0x0a) {
        line++;
        column = 0;
      } else {
        column++;
      }
    }
    if (at < this.bytes.length) column++;
    return new SerdeJsonError(`${message} at line ${line} column ${column}`);
  }

  peek(): number | undefined {
    return this.bytes[this.pos];
  }

  /** The byte at the cursor, or 0 at the end (serde_json's `peek_or_null`). */
  peekOrNull(): number {
    return this.bytes[this.pos] ?? 0;
  }

  skipWhitespace(): number | undefined {
    for (;;) {
      const b = this.bytes[this.pos];
      if (b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d) this.pos++;
      else return b;
    }
  }

  /** The whole document: one value and nothing but whitespace after it. */
  document(): SerdeJson {
    const v = this.value();
    if (this.skipWhitespace() !== undefined) throw this.error('trailing characters', this.pos + 1);
    return v;
  }

  value(): SerdeJson {
    const b = this.skipWhitespace();
    if (b === undefined) throw this.error('EOF while parsing a value');
    switch (b) {
      case 0x6e: return this.ident('null', null);
      case 0x74: return this.ident('true', true);
      case 0x66: return this.ident('false', false);
      case 0x22:
        this.pos++;
        return this.string();
      case 0x2d:
        this.pos++;
        return this.integer(false);
      case 0x5b: return this.array();
      case 0x7b: return this.object();
      default:
        if (b >= 0x30 && b <= 0x39) return this.integer(true);
        throw this.error('expected value', this.pos + 1);
    }
  }

  ident<T>(word: string, v: T): T {
    for (let i = 0; i < word.length; i++) {
      const b = this.bytes[this.pos];
      if (b === undefined) throw this.error('EOF while parsing a value');
      this.pos++;
      if (b !== word.charCodeAt(i)) throw this.error(i === 0 ? 'expected value' : 'expected ident');
    }
    return v;
  }

  enter(): void {
    this.depth++;
    if (this.depth >= MAX_DEPTH) throw this.error('recursion limit exceeded', this.pos + 1);
    this.pos++;
  }

  array(): SerdeJson[] {
    this.enter();
    const out: SerdeJson[] = [];
    if (this.skipWhitespace() === 0x5d) {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      out.push(this.value());
      const b = this.skipWhitespace();
      if (b === 0x2c) {
        this.pos++;
        if (this.skipWhitespace() === 0x5d) throw this.error('trailing comma', this.pos + 1);
      } else if (b === 0x5d) {
        this.pos++;
        this.depth--;
        return out;
      } else if (b === undefined) {
        throw this.error('EOF while parsing a list');
      } else {
        throw this.error('expected `,` or `]`', this.pos + 1);
      }
    }
  }

  object(): Map<string, SerdeJson> {
    this.enter();
    const out = new Map<string, SerdeJson>();
    if (this.skipWhitespace() === 0x7d) {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      const k = this.skipWhitespace();
      if (k === undefined) throw this.error('EOF while parsing an object');
      if (k !== 0x22) throw this.error('key must be a string', this.pos + 1);
      this.pos++;
      const key = this.string();
      const colon = this.skipWhitespace();
      if (colon === undefined) throw this.error('EOF while parsing an object');
      if (colon !== 0x3a) throw this.error('expected `:`', this.pos + 1);
      this.pos++;
      out.set(key, this.value());
      const b = this.skipWhitespace();
      if (b === 0x2c) {
        this.pos++;
        if (this.skipWhitespace() === 0x7d) throw this.error('trailing comma', this.pos + 1);
      } else if (b === 0x7d) {
        this.pos++;
        this.depth--;
        return out;
      } else if (b === undefined) {
        throw this.error('EOF while parsing an object');
      } else {
        throw this.error('expected `,` or `}`', this.pos + 1);
      }
    }
  }

  /** A string after its opening quote. Raw bytes must be valid UTF-8. */
  string(): string {
    let out = '';
    let start = this.pos;
    const raw = (end: number) => {
      try {
        return utf8.decode(this.bytes.subarray(start, end));
      } catch {
        throw this.error('invalid unicode code point', end);
      }
    };
    for (;;) {
      const b = this.bytes[this.pos];
      if (b === undefined) throw this.error('EOF while parsing a string');
      if (b === 0x22) {
        out += raw(this.pos);
        this.pos++;
        return out;
      }
      if (b < 0x20) throw this.error('control character (\\u0000-\\u001F) found while parsing a string', this.pos + 1);
      if (b !== 0x5c) {
        this.pos++;
        continue;
      }
      out += raw(this.pos);
      this.pos++;
      out += this.escape();
      start = this.pos;
    }
  }

  /** One escape after its backslash. */
  escape(): string {
    const b = this.bytes[this.pos];
    if (b === undefined) throw this.error('EOF while parsing a string');
    this.pos++;
    switch (b) {
      case 0x22: return '"';
      case 0x5c: return '\\';
      case 0x2f: return '/';
      case 0x62: return '\b';
      case 0x66: return '\f';
      case 0x6e: return '\n';
      case 0x72: return '\r';
      case 0x74: return '\t';
      case 0x75: {
        const n1 = this.hex4();
        if (n1 >= 0xdc00 && n1 <= 0xdfff) throw this.error('lone leading surrogate in hex escape');
        if (n1 < 0xd800 || n1 > 0xdbff) return String.fromCharCode(n1);
        if (this.bytes[this.pos] !== 0x5c) throw this.error(this.pos >= this.bytes.length ? 'EOF while parsing a string' : 'unexpected end of hex escape', this.pos + 1);
        this.pos++;
        if (this.bytes[this.pos] !== 0x75) throw this.error(this.pos >= this.bytes.length ? 'EOF while parsing a string' : 'unexpected end of hex escape', this.pos + 1);
        this.pos++;
        const n2 = this.hex4();
        if (n2 < 0xdc00 || n2 > 0xdfff) throw this.error('lone leading surrogate in hex escape');
        return String.fromCharCode(n1, n2);
      }
      default:
        throw this.error('invalid escape');
    }
  }

  hex4(): number {
    let n = 0;
    for (let i = 0; i < 4; i++) {
      const b = this.bytes[this.pos];
      if (b === undefined) throw this.error('EOF while parsing a string');
      this.pos++;
      const d = b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x61 && b <= 0x66 ? b - 0x57 : b >= 0x41 && b <= 0x46 ? b - 0x37 : -1;
      if (d < 0) throw this.error('invalid escape');
      n = n * 16 + d;
    }
    return n;
  }

  isDigit(b: number): boolean {
    return b >= 0x30 && b <= 0x39;
  }

  /** serde_json's parse_integer: the cursor is on the first digit (after any `-`). */
  integer(positive: boolean): SerdeJson {
    const c = this.bytes[this.pos];
    if (c === undefined) throw this.error('EOF while parsing a value');
    this.pos++;
    if (c === 0x30) {
      if (this.isDigit(this.peekOrNull())) throw this.error('invalid number', this.pos + 1);
      return this.number(positive, 0n);
    }
    if (!this.isDigit(c)) throw this.error('invalid number');
    let sig = BigInt(c - 0x30);
    for (;;) {
      const d = this.peekOrNull();
      if (!this.isDigit(d)) return this.number(positive, sig);
      if (overflowsU64(sig, d - 0x30)) return this.float(this.longInteger(positive, sig));
      this.pos++;
      sig = sig * 10n + BigInt(d - 0x30);
    }
  }

  /** serde_json's parse_number: an integer unless a fraction or exponent follows. */
  number(positive: boolean, sig: bigint): SerdeJson {
    const b = this.peekOrNull();
    if (b === 0x2e) return this.float(this.decimal(positive, sig, 0));
    if (b === 0x65 || b === 0x45) return this.float(this.exponent(positive, sig, 0));
    if (positive) return { number: sig.toString() };
    // `(significand as i64).wrapping_neg()`: -0 and magnitudes past i64 become floats.
    if (sig === 0n || sig > I64_MIN_ABS) return this.float(-Number(sig));
    return { number: `-${sig}` };
  }

  float(x: number): SerdeJson {
    return { number: ryuFormat(x) };
  }

  decimal(positive: boolean, sig: bigint, exponent: number): number {
    this.pos++; // '.'
    for (;;) {
      const d = this.peekOrNull();
      if (!this.isDigit(d)) break;
      if (overflowsU64(sig, d - 0x30)) return this.decimalOverflow(positive, sig, exponent);
      this.pos++;
      sig = sig * 10n + BigInt(d - 0x30);
      exponent--;
    }
    if (exponent === 0) {
      if (this.peek() === undefined) throw this.error('EOF while parsing a value');
      throw this.error('invalid number', this.pos + 1);
    }
    const b = this.peekOrNull();
    if (b === 0x65 || b === 0x45) return this.exponent(positive, sig, exponent);
    return this.fromParts(positive, sig, exponent);
  }

  exponent(positive: boolean, sig: bigint, startingExp: number): number {
    this.pos++; // 'e' / 'E'
    let positiveExp = true;
    const s = this.peekOrNull();
    if (s === 0x2b) this.pos++;
    else if (s === 0x2d) {
      this.pos++;
      positiveExp = false;
    }
    const first = this.bytes[this.pos];
    if (first === undefined) throw this.error('EOF while parsing a value');
    this.pos++;
    if (!this.isDigit(first)) throw this.error('invalid number');
    let exp = first - 0x30;
    for (;;) {
      const d = this.peekOrNull();
      if (!this.isDigit(d)) break;
      this.pos++;
      if (overflowsI32(exp, d - 0x30)) return this.exponentOverflow(positive, sig === 0n, positiveExp);
      exp = exp * 10 + (d - 0x30);
    }
    return this.fromParts(positive, sig, saturate(positiveExp ? startingExp + exp : startingExp - exp));
  }

  exponentOverflow(positive: boolean, zeroSignificand: boolean, positiveExp: boolean): number {
    if (!zeroSignificand && positiveExp) throw this.error('number out of range');
    while (this.isDigit(this.peekOrNull())) this.pos++;
    return positive ? 0 : -0;
  }

  decimalOverflow(positive: boolean, sig: bigint, exponent: number): number {
    while (this.isDigit(this.peekOrNull())) this.pos++;
    const b = this.peekOrNull();
    if (b === 0x65 || b === 0x45) return this.exponent(positive, sig, exponent);
    return this.fromParts(positive, sig, exponent);
  }

  /** Integer digits past u64: dropped, each one multiplying by ten. */
  longInteger(positive: boolean, sig: bigint): number {
    let exponent = 0;
    for (;;) {
      const b = this.peekOrNull();
      if (this.isDigit(b)) {
        this.pos++;
        exponent++;
      } else if (b === 0x2e) {
        return this.decimal(positive, sig, exponent);
      } else if (b === 0x65 || b === 0x45) {
        return this.exponent(positive, sig, exponent);
      } else {
        return this.fromParts(positive, sig, exponent);
      }
    }
  }

  /** serde_json's f64_from_parts without `float_roundtrip`. */
  fromParts(positive: boolean, sig: bigint, exponent: number): number {
    let f = Number(sig); // `significand as f64`: round to nearest, ties to even
    for (;;) {
      const pow = POW10[Math.abs(exponent)];
      if (pow !== undefined) {
        if (exponent >= 0) {
          f *= pow;
          if (!Number.isFinite(f)) throw this.error('number out of range');
        } else {
          f /= pow;
        }
        break;
      }
      if (f === 0) break;
      if (exponent >= 0) throw this.error('number out of range');
      f /= 1e308;
      exponent += 308;
    }
    return positive ? f : -f;
  }
}

/**
 * Parse `bytes` (a whole file) as serde_json's `from_reader` does. Throws SerdeJsonError
 * with serde_json's wording on any syntax error, invalid UTF-8 or out-of-range number.
 */
export function parseSerdeJson(bytes: Uint8Array): SerdeJson {
  return new Parser(bytes).document();
}

/** serde_json's `Value::get(key)` as Vagga's `get` uses it: the member of an object, else null. */
export function serdeGet(value: SerdeJson, key: string): SerdeJson {
  return value instanceof Map ? (value.get(key) ?? null) : null;
}

/** Rust `String` order: bytewise over UTF-8. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** A JSON string literal escaped as serde_json's compact formatter does. */
function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c >= 0x20) out += ch;
    else if (c === 0x08) out += '\\b';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0d) out += '\\r';
    else out += `\\u00${c.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

/** The `Display` text of a serde_json Value: compact, object keys sorted (see the module comment). */
export function serdeDisplay(value: SerdeJson): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) return `[${value.map(serdeDisplay).join(',')}]`;
  if (value instanceof Map) {
    const keys = [...value.keys()].sort(compareUtf8);
    return `{${keys.map((k) => `${quote(k)}:${serdeDisplay(value.get(k)!)}`).join(',')}}`;
  }
  return value.number;
}
