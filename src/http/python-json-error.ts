/**
 * Where and why Python's `json.loads` (CPython's C scanner, `Modules/_json.c`, 3.11 and 3.12;
 * 3.13 words a trailing comma otherwise) stops
 * on a text JSON.parse refused: FastAPI puts both in its `json_invalid` error (polar-oauth2.md
 * §2.3-C). V8's messages name other positions, or none. Only called on a text already refused,
 * so it needs no values, only where the first error is. Positions count code points, as Python's
 * strings do.
 */
export interface PythonJsonError {
  position: number;
  message: string;
}

class Stop {
  constructor(readonly position: number, readonly message: string) {}
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const SIMPLE_ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

export function pythonJsonError(text: string): PythonJsonError | undefined {
  const s = Array.from(text);
  const n = s.length;
  const skip = (i: number) => {
    while (i < n && WHITESPACE.has(s[i] as string)) i++;
    return i;
  };
  const hexAt = (from: number) => s.slice(from, from + 4).every(isHex);

  /** The index after the string whose opening quote is at `begin`. */
  function string(begin: number): number {
    let i = begin + 1;
    for (;;) {
      while (i < n && s[i] !== '"' && s[i] !== '\\') {
        if ((s[i]?.codePointAt(0) ?? 0) <= 0x1f) throw new Stop(i, 'Invalid control character at');
        i++;
      }
      if (i >= n) throw new Stop(begin, 'Unterminated string starting at');
      if (s[i] === '"') return i + 1;
      i++; // the backslash
      if (i >= n) throw new Stop(begin, 'Unterminated string starting at');
      if (s[i] !== 'u') {
        if (!SIMPLE_ESCAPES.has(s[i] as string)) throw new Stop(i - 1, 'Invalid \\escape');
        i++;
        continue;
      }
      // \uXXXX: four hex digits, and (the C scanner's bound) something after them.
      const u = i;
      if (u + 5 >= n || !hexAt(u + 1)) throw new Stop(u, 'Invalid \\uXXXX escape');
      i = u + 5;
      const unit = parseInt(s.slice(u + 1, u + 5).join(''), 16);
      // A high surrogate takes a following \uXXXX as its pair, which must then be hex too.
      if (unit >= 0xd800 && unit <= 0xdbff && i + 6 < n && s[i] === '\\' && s[i + 1] === 'u') {
        if (!hexAt(i + 2)) throw new Stop(i + 1, 'Invalid \\uXXXX escape');
        const low = parseInt(s.slice(i + 2, i + 6).join(''), 16);
        if (low >= 0xdc00 && low <= 0xdfff) i += 6;
      }
    }
  }

  function number(start: number): number {
    let i = start;
    if (s[i] === '-') {
      i++;
      if (i >= n) throw new Stop(start, 'Expecting value');
    }
    // One digit when it is 0 (no leading zeros), else all of them.
    if (s[i] === '0') i++;
    else if (isDigit(s[i])) while (isDigit(s[i])) i++;
    else throw new Stop(start, 'Expecting value');
    if (s[i] === '.' && isDigit(s[i + 1])) {
      i += 2;
      while (isDigit(s[i])) i++;
    }
    if (i < n - 1 && (s[i] === 'e' || s[i] === 'E')) {
      const mark = i++;
      if (i < n - 1 && (s[i] === '-' || s[i] === '+')) i++;
      while (isDigit(s[i])) i++;
      if (!isDigit(s[i - 1])) i = mark;
    }
    return i;
  }

  const word = (i: number, w: string) => s.slice(i, i + w.length).join('') === w;

  function value(i: number): number {
    if (i >= n) throw new Stop(i, 'Expecting value');
    const c = s[i];
    if (c === '"') return string(i);
    if (c === '{') return object(i + 1);
    if (c === '[') return array(i + 1);
    // Python also reads NaN, Infinity and -Infinity.
    for (const w of ['null', 'true', 'false', 'NaN', 'Infinity', '-Infinity']) if (word(i, w)) return i + w.length;
    return number(i);
  }

  function object(from: number): number {
    let i = skip(from);
    if (s[i] === '}') return i + 1;
    for (;;) {
      if (s[i] !== '"') throw new Stop(i, 'Expecting property name enclosed in double quotes');
      i = skip(string(i));
      if (s[i] !== ':') throw new Stop(i, "Expecting ':' delimiter");
      i = skip(value(skip(i + 1)));
      if (s[i] === '}') return i + 1;
      if (s[i] !== ',') throw new Stop(i, "Expecting ',' delimiter");
      i = skip(i + 1);
    }
  }

  function array(from: number): number {
    let i = skip(from);
    if (s[i] === ']') return i + 1;
    for (;;) {
      i = skip(value(i));
      if (s[i] === ']') return i + 1;
      if (s[i] !== ',') throw new Stop(i, "Expecting ',' delimiter");
      i = skip(i + 1);
    }
  }

  try {
    const end = skip(value(skip(0)));
    return end === n ? undefined : { position: end, message: 'Extra data' };
  } catch (stop) {
    if (stop instanceof Stop) return { position: stop.position, message: stop.message };
    throw stop;
  }
}
