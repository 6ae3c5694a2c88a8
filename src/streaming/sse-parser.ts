/** One dispatched Server-Sent Events message. */
export interface SseMessage {
  /** The `event:` field; absent for the default `message` type. */
  event?: string;
  /** The `data:` lines, joined with `\n`. */
  data: string;
}

export interface SseParserOptions {
  /**
   * Longest line (in UTF-16 code units) accepted before the parser gives up
   * with an `SseParseError`. Default 8 MiB: an upstream that never sends a
   * newline must not grow the buffer without bound.
   */
  maxLineChars?: number;
}

const DEFAULT_MAX_LINE_CHARS = 8 * 1024 * 1024;

/** A byte stream the parser refuses; `code` is stable for callers to match. */
export class SseParseError extends Error {
  readonly code = 'SSE_LINE_TOO_LONG';

  constructor(message: string) {
    super(message);
    this.name = 'SseParseError';
  }
}

/**
 * An incremental parser of the `text/event-stream` format as the WHATWG HTML
 * standard defines it, fed one network read at a time. Reads may split a
 * line, a `\r\n` pair or a multi-byte UTF-8 character anywhere; the decoder
 * runs in streaming mode so such a character comes out whole.
 *
 * `id:` and `retry:` fields are read and dropped: the gateway never
 * reconnects to an upstream stream, so it has no use for them.
 */
export class SseParser {
  readonly #decoder = new TextDecoder('utf-8');
  readonly #maxLineChars: number;
  #buffer = '';
  /** The last read ended in `\r`; a `\n` opening the next read belongs to it. */
  #skipLeadingLf = false;
  #data: string[] = [];
  #event = '';

  constructor(options: SseParserOptions = {}) {
    this.#maxLineChars = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  }

  /** The messages completed by this read, in order. */
  push(bytes: Uint8Array): SseMessage[] {
    return this.#feed(this.#decoder.decode(bytes, { stream: true }));
  }

  /**
   * Ends the input. A message without its closing blank line is dropped, as
   * the standard says: a stream cut mid-message must not look complete.
   */
  end(): SseMessage[] {
    const messages = this.#feed(this.#decoder.decode());
    this.#buffer = '';
    this.#data = [];
    this.#event = '';
    return messages;
  }

  #feed(text: string): SseMessage[] {
    let chunk = text;
    if (this.#skipLeadingLf && chunk.length > 0) {
      if (chunk.startsWith('\n')) chunk = chunk.slice(1);
      this.#skipLeadingLf = false;
    }
    // The kept remainder holds no line break, so only the new text is searched.
    let searchFrom = this.#buffer.length;
    this.#buffer += chunk;
    const messages: SseMessage[] = [];
    let start = 0;
    for (;;) {
      const end = nextLineBreak(this.#buffer, searchFrom);
      if (end < 0) break;
      const message = this.#line(this.#buffer.slice(start, end));
      if (message) messages.push(message);
      start = end + 1;
      if (this.#buffer[end] === '\r') {
        if (end + 1 === this.#buffer.length) this.#skipLeadingLf = true;
        else if (this.#buffer[end + 1] === '\n') start += 1;
      }
      searchFrom = start;
    }
    this.#buffer = this.#buffer.slice(start);
    if (this.#buffer.length > this.#maxLineChars) {
      throw new SseParseError(`event stream line longer than ${this.#maxLineChars} characters`);
    }
    return messages;
  }

  /** Applies one line; returns the message a blank line completes. */
  #line(line: string): SseMessage | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return undefined; // a comment, e.g. `: ping` keep-alives
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    return undefined;
  }

  #dispatch(): SseMessage | undefined {
    const data = this.#data;
    const event = this.#event;
    this.#data = [];
    this.#event = '';
    // A blank line after no data lines dispatches nothing, even after `event:`.
    if (data.length === 0) return undefined;
    return event === '' ? { data: data.join('\n') } : { event, data: data.join('\n') };
  }
}

function nextLineBreak(text: string, from: number): number {
  for (let index = from; index < text.length; index += 1) {
    const char = text[index];
    if (char === '\n' || char === '\r') return index;
  }
  return -1;
}

/**
 * The messages of a byte stream such as an undici response body, yielded as
 * each completes. Errors of the source (a dropped socket) pass through.
 */
export async function* parseSse(
  source: AsyncIterable<Uint8Array>,
  options: SseParserOptions = {},
): AsyncGenerator<SseMessage> {
  const parser = new SseParser(options);
  for await (const bytes of source) yield* parser.push(bytes);
  yield* parser.end();
}
