/** Longest `pattern` (or `patternProperties` key) an inline schema may carry. */
export const MAX_PATTERN_LENGTH = 1000;

interface CharAtom {
  kind: 'char';
  /** Source of one character matcher: a literal, an escape, a class or `.`. */
  source: string;
}

interface GroupAtom {
  kind: 'group';
  branches: Item[][];
  lookaround: boolean;
}

interface Item {
  atom: CharAtom | GroupAtom;
  min: number;
  max: number;
}

/**
 * Why a caller's regular expression could make the validator backtrack for
 * exponential (or high polynomial) time, or undefined when it looks safe.
 *
 * The rule is star height: a group repeated more than once (`+`, `*`,
 * `{n,}`, `{n,m}` with m > 1) must not contain an unbounded quantifier
 * (`+`, `*`, `{n,}`), as in `(a+)+`, nor alternatives that can start with the
 * same character, as in `(a|aa)+`. One safe shape is allowed: a group that
 * starts or ends with a fixed separator character that none of its unbounded
 * parts can match, as in the slug `^[a-z0-9]+(?:-[a-z0-9]+)*$`.
 *
 * Not caught: ambiguity between neighbouring quantifiers outside any group
 * (`\d+\d+$`, `.*.*.*x`), which is polynomial rather than exponential.
 * Patterns that are not valid regular expressions pass here and are rejected
 * by the schema compiler with its own message.
 */
export function patternRisk(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `is longer than ${MAX_PATTERN_LENGTH.toLocaleString('en-US')} characters`;
  }
  try {
    new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
  let branches: Item[][];
  try {
    branches = new PatternParser(pattern).parse();
  } catch {
    return undefined; // a valid pattern this parser does not follow: left to the engine
  }
  return branches.some(hasRiskyRepeat)
    ? 'nested quantifiers can take exponential time; rewrite the pattern'
    : undefined;
}

function hasRiskyRepeat(items: Item[]): boolean {
  for (const item of items) {
    if (item.atom.kind !== 'group') continue;
    const group = item.atom;
    if (!group.lookaround && item.max > 1 && isAmbiguousWhenRepeated(group)) return true;
    if (group.branches.some(hasRiskyRepeat)) return true;
  }
  return false;
}

function isAmbiguousWhenRepeated(group: GroupAtom): boolean {
  const unbounded = group.branches.flatMap(unboundedItems);
  if (group.branches.length > 1) {
    if (unbounded.length > 0) return true;
    const firsts = group.branches.map((branch) => branch[0]);
    if (firsts.some((first) => first === undefined || !isFixedChar(first))) return true;
    const sources = firsts.map((first) => (first!.atom as CharAtom).source);
    return sources.some((a, i) => sources.slice(i + 1).some((b) => canShareChar(a, b)));
  }
  if (unbounded.length === 0) return false;
  if (unbounded.some((item) => item.atom.kind !== 'char')) return true;
  const branch = group.branches[0] ?? [];
  const ends = [branch[0], branch.at(-1)].filter(
    (end): end is Item => end !== undefined && isFixedChar(end),
  );
  const separatorHolds = ends.some((end) =>
    unbounded.every((item) => !canShareChar((end.atom as CharAtom).source, sourceOf(item))),
  );
  return !separatorHolds;
}

/** Items quantified without an upper bound, at any depth of the branch. */
function unboundedItems(branch: Item[]): Item[] {
  return branch.flatMap((item) => {
    const own = item.max === Infinity ? [item] : [];
    const nested = item.atom.kind === 'group' ? item.atom.branches.flatMap(unboundedItems) : [];
    return [...own, ...nested];
  });
}

function isFixedChar(item: Item): boolean {
  return item.atom.kind === 'char' && item.min === 1 && item.max === 1;
}

function sourceOf(item: Item): string {
  return (item.atom as CharAtom).source;
}

const PROBES = [
  ...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)),
  '\t',
  '\n',
  '\u00e9',
];

/** Whether two one-character matchers accept a common character (true when unsure). */
function canShareChar(a: string, b: string): boolean {
  try {
    const left = new RegExp(`^(?:${a})$`, 'u');
    const right = new RegExp(`^(?:${b})$`, 'u');
    const probes = [...PROBES, a, b].filter((probe) => [...probe].length === 1);
    return probes.some((probe) => left.test(probe) && right.test(probe));
  } catch {
    return true;
  }
}

/** A small parser for the `u`-mode regular expressions Ajv compiles. */
class PatternParser {
  readonly #source: string;
  #pos = 0;

  constructor(source: string) {
    this.#source = source;
  }

  parse(): Item[][] {
    const branches = this.#alternation();
    if (this.#pos !== this.#source.length) throw new Error('unbalanced pattern');
    return branches;
  }

  #alternation(): Item[][] {
    const branches = [this.#sequence()];
    while (this.#source[this.#pos] === '|') {
      this.#pos++;
      branches.push(this.#sequence());
    }
    return branches;
  }

  #sequence(): Item[] {
    const items: Item[] = [];
    for (let char = this.#source[this.#pos]; char !== undefined; char = this.#source[this.#pos]) {
      if (char === '|' || char === ')') break;
      const atom = this.#atom();
      if (atom === undefined) continue; // anchors and word boundaries
      items.push({ atom, ...this.#quantifier() });
    }
    return items;
  }

  #atom(): CharAtom | GroupAtom | undefined {
    const start = this.#pos;
    const char = this.#source[this.#pos++];
    if (char === '^' || char === '$') return undefined;
    if (char === '(') return this.#group();
    if (char === '[') this.#skipClass();
    else if (char === '\\') {
      const escaped = this.#source[this.#pos];
      if (escaped === 'b' || escaped === 'B') {
        this.#pos++;
        return undefined;
      }
      this.#skipEscape();
    }
    return { kind: 'char', source: this.#source.slice(start, this.#pos) };
  }

  #group(): GroupAtom {
    let lookaround = false;
    const rest = this.#source.slice(this.#pos);
    if (rest.startsWith('?:')) this.#pos += 2;
    else if (/^\?<?[=!]/.test(rest)) {
      lookaround = true;
      this.#pos += rest[1] === '<' ? 3 : 2;
    } else if (rest.startsWith('?<')) {
      const close = this.#source.indexOf('>', this.#pos);
      if (close < 0) throw new Error('unclosed group name');
      this.#pos = close + 1;
    }
    const branches = this.#alternation();
    if (this.#source[this.#pos++] !== ')') throw new Error('unclosed group');
    return { kind: 'group', branches, lookaround };
  }

  #skipClass(): void {
    while (this.#pos < this.#source.length && this.#source[this.#pos] !== ']') {
      if (this.#source[this.#pos] === '\\') this.#pos++;
      this.#pos++;
    }
    if (this.#source[this.#pos++] !== ']') throw new Error('unclosed class');
  }

  /** Moves past the escape after a backslash: `\d`, `\u{1F600}`, `\p{L}`, `\k<name>`, `\12`. */
  #skipEscape(): void {
    const rest = this.#source.slice(this.#pos);
    const match =
      /^(?:[up]\{[^}]*\}|P\{[^}]*\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|c[A-Za-z]|k<[^>]*>|\d+|[^])/.exec(
        rest,
      );
    if (!match) throw new Error('pattern ended early');
    this.#pos += match[0].length;
  }

  #quantifier(): { min: number; max: number } {
    const char = this.#source[this.#pos];
    let bounds: { min: number; max: number };
    if (char === '*') bounds = { min: 0, max: Infinity };
    else if (char === '+') bounds = { min: 1, max: Infinity };
    else if (char === '?') bounds = { min: 0, max: 1 };
    else if (char === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.#source.slice(this.#pos));
      if (!match) return { min: 1, max: 1 };
      const min = Number(match[1]);
      const max = match[2] === undefined ? min : match[3] ? Number(match[3]) : Infinity;
      this.#pos += match[0].length - 1;
      bounds = { min, max };
    } else return { min: 1, max: 1 };
    this.#pos++;
    if (this.#source[this.#pos] === '?') this.#pos++; // lazy: same backtracking
    return bounds;
  }
}
