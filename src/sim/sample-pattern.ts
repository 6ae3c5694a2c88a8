/**
 * Produces a string matching a JSON Schema `pattern`, for the simple regular
 * expressions schemas actually use (codes, ids, slugs): literals, character
 * classes, `\d \w \s`, groups, alternation (first branch) and quantifiers.
 *
 * Lookarounds, backreferences and negated classes that exclude every
 * candidate character are not understood; for those `samplePattern` returns
 * undefined and the caller falls back to a plain string, which will then fail
 * validation against that pattern.
 */
export function samplePattern(pattern: string): string | undefined {
  let text: string;
  try {
    text = new PatternWriter(pattern).write();
  } catch {
    return undefined;
  }
  return matches(pattern, text) ? text : undefined;
}

function matches(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(text);
  } catch {
    return false;
  }
}

/** Characters tried, in order, for `.` and negated classes. */
const CANDIDATES = ['a', 'A', '0', '_', '-', ' ', '.', 'z'];

class PatternWriter {
  readonly #source: string;
  #pos = 0;

  constructor(source: string) {
    this.#source = source;
  }

  write(): string {
    const text = this.#alternation();
    if (this.#pos < this.#source.length) throw new Error('unbalanced pattern');
    return text;
  }

  #peek(): string | undefined {
    return this.#source[this.#pos];
  }

  #next(): string {
    const char = this.#source[this.#pos++];
    if (char === undefined) throw new Error('pattern ended early');
    return char;
  }

  /** `a|b|c`: writes the first branch, but still consumes the others. */
  #alternation(): string {
    const first = this.#sequence();
    while (this.#peek() === '|') {
      this.#pos++;
      this.#sequence();
    }
    return first;
  }

  #sequence(): string {
    let text = '';
    for (let char = this.#peek(); char !== undefined; char = this.#peek()) {
      if (char === '|' || char === ')') break;
      const atom = this.#atom();
      const count = this.#quantifier();
      // `a{100000000}` would build a string of 100 MB; the caller falls back
      // to a plain string, which fails the pattern, and the gateway says 422.
      if (atom.length * count + text.length > 10_000) throw new Error('pattern sample too long');
      text += atom.repeat(count);
    }
    return text;
  }

  #atom(): string {
    const char = this.#next();
    switch (char) {
      case '^':
      case '$':
        return '';
      case '.':
        return 'a';
      case '(':
        return this.#group();
      case '[':
        return this.#charClass();
      case '\\':
        return this.#escape();
      default:
        return char;
    }
  }

  #group(): string {
    if (this.#source.startsWith('?:', this.#pos)) this.#pos += 2;
    else if (this.#peek() === '?') throw new Error('lookarounds are not supported');
    const text = this.#alternation();
    if (this.#next() !== ')') throw new Error('unclosed group');
    return text;
  }

  /** Repeats of the atom just written: the least its quantifier allows, but 1 for `*` and `?`. */
  #quantifier(): number {
    const char = this.#peek();
    let count = 1;
    if (char === '?' || char === '*' || char === '+') {
      this.#pos++;
    } else if (char === '{') {
      const close = this.#source.indexOf('}', this.#pos);
      const match = /^\{(\d+)(,(\d*))?\}$/.exec(this.#source.slice(this.#pos, close + 1));
      if (!match) return 1;
      this.#pos = close + 1;
      const min = Number(match[1]);
      const max = match[3] ? Number(match[3]) : Infinity;
      count = min > 0 ? min : Math.min(1, max);
    } else {
      return 1;
    }
    if (this.#peek() === '?') this.#pos++; // lazy quantifiers write the same text
    return count;
  }

  #escape(): string {
    const char = this.#next();
    const classes: Record<string, string> = { d: '1', w: 'a', s: ' ', D: 'a', W: '-', S: 'a' };
    if (char in classes) return classes[char] ?? '';
    if (char === 'b' || char === 'B') return '';
    if (char === 'u' && /^[0-9a-fA-F]{4}$/.test(this.#source.slice(this.#pos, this.#pos + 4))) {
      const code = parseInt(this.#source.slice(this.#pos, this.#pos + 4), 16);
      this.#pos += 4;
      return String.fromCharCode(code);
    }
    if (/\d/.test(char)) throw new Error('backreferences are not supported');
    const controls: Record<string, string> = { n: '\n', t: '\t', r: '\r' };
    return controls[char] ?? char;
  }

  /** `[a-z0-9_]`: the first member; `[^…]`: the first candidate the class excludes. */
  #charClass(): string {
    const negated = this.#peek() === '^';
    if (negated) this.#pos++;
    const start = this.#pos - (negated ? 2 : 1);
    let first: string | undefined;
    while (this.#peek() !== ']') {
      const member = this.#peek() === '\\' ? (this.#pos++, this.#escape()) : this.#next();
      if (this.#peek() === '-' && this.#source[this.#pos + 1] !== ']') {
        this.#pos++;
        this.#next();
      }
      first ??= member;
    }
    this.#pos++;
    if (!negated) return first ?? '';
    const classSource = this.#source.slice(start, this.#pos);
    const allowed = CANDIDATES.find((candidate) => matches(`^${classSource}$`, candidate));
    if (allowed === undefined) throw new Error('negated class excludes every candidate');
    return allowed;
  }
}
