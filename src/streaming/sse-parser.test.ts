import { describe, expect, it } from 'vitest';
import { parseSse, SseParseError, SseParser, type SseMessage } from './sse-parser.js';

const bytes = (text: string) => new TextEncoder().encode(text);

/** Feeds the reads one by one and returns every message, the end included. */
function parseReads(reads: Uint8Array[]): SseMessage[] {
  const parser = new SseParser();
  return [...reads.flatMap((read) => parser.push(read)), ...parser.end()];
}

const MULTIBYTE = 'café ✓ 日本';
const WIRE = `event: message_delta\r\ndata: {"text":"${MULTIBYTE}"}\r\n\r\n: ping\n\ndata: [DONE]\n\n`;
const EXPECTED: SseMessage[] = [
  { event: 'message_delta', data: `{"text":"${MULTIBYTE}"}` },
  { data: '[DONE]' },
];

describe('SseParser', () => {
  it('yields the same messages however two reads split the bytes', () => {
    const all = bytes(WIRE);
    for (let cut = 0; cut <= all.length; cut += 1) {
      const messages = parseReads([all.subarray(0, cut), all.subarray(cut)]);
      expect(messages, `cut at byte ${cut}`).toEqual(EXPECTED);
    }
  });

  it('yields the same messages when every byte arrives in a read of its own', () => {
    const all = bytes(WIRE);
    const reads = Array.from(all, (byte) => Uint8Array.of(byte));
    expect(parseReads(reads)).toEqual(EXPECTED);
  });

  it('keeps a character split across three reads whole', () => {
    // 日 is E6 97 A5; each byte arrives alone.
    const all = bytes('data: 日\n\n');
    const lead = all.indexOf(0xe6);
    const reads = [
      all.subarray(0, lead + 1),
      all.subarray(lead + 1, lead + 2),
      all.subarray(lead + 2),
    ];
    expect(parseReads(reads)).toEqual([{ data: '日' }]);
  });

  it('ends lines at LF, CRLF and a lone CR alike', () => {
    const messages = parseReads([bytes('data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d\r\n\n')]);
    expect(messages).toEqual([{ data: 'a' }, { data: 'b' }, { data: 'c' }, { data: 'd' }]);
  });

  it('counts a CR at the end of one read and an LF opening the next as one line break', () => {
    const messages = parseReads([bytes('data: a\r'), bytes('\ndata: b\r'), bytes('\n\r\n')]);
    expect(messages).toEqual([{ data: 'a\nb' }]);
  });

  it('joins multi-line data with LF', () => {
    expect(parseReads([bytes('data: one\ndata: two\ndata:\n\n')])).toEqual([
      { data: 'one\ntwo\n' },
    ]);
  });

  it('removes one leading space from a value, not more', () => {
    expect(parseReads([bytes('data:  two spaces\n\ndata:none\n\n')])).toEqual([
      { data: ' two spaces' },
      { data: 'none' },
    ]);
  });

  it('skips comments, id and retry fields and unknown fields', () => {
    const wire = ': keep-alive\nid: 7\nretry: 100\nfoo: bar\ndata: x\n\n';
    expect(parseReads([bytes(wire)])).toEqual([{ data: 'x' }]);
  });

  it('treats a field line without a colon as a field with an empty value', () => {
    expect(parseReads([bytes('data\ndata\n\n')])).toEqual([{ data: '\n' }]);
  });

  it('dispatches nothing for an event name with no data, and forgets the name', () => {
    expect(parseReads([bytes('event: ping\n\ndata: after\n\n')])).toEqual([{ data: 'after' }]);
  });

  it('drops a message whose closing blank line never came', () => {
    expect(parseReads([bytes('data: whole\n\ndata: cut off\n')])).toEqual([{ data: 'whole' }]);
  });

  it('ignores a byte order mark at the start of the stream', () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('data: x\n\n')]);
    expect(parseReads([withBom])).toEqual([{ data: 'x' }]);
  });

  it('refuses a line longer than the limit with SSE_LINE_TOO_LONG', () => {
    const parser = new SseParser({ maxLineChars: 16 });
    expect(parser.push(bytes('data: short\n\n'))).toEqual([{ data: 'short' }]);
    const overlong = () => parser.push(bytes('data: 0123456789abcdef'));
    expect(overlong).toThrow(SseParseError);
    expect(overlong).toThrow(/longer than 16 characters/);
  });
});

describe('parseSse', () => {
  it('yields the messages of an async byte stream in order', async () => {
    async function* source() {
      yield bytes('data: 1\n\nda');
      yield bytes('ta: 2\n\n');
    }
    const messages: SseMessage[] = [];
    for await (const message of parseSse(source())) messages.push(message);
    expect(messages).toEqual([{ data: '1' }, { data: '2' }]);
  });

  it('passes an error of the source through after the messages before it', async () => {
    async function* source() {
      yield bytes('data: 1\n\n');
      throw new Error('socket hang up');
    }
    const messages: SseMessage[] = [];
    const reading = (async () => {
      for await (const message of parseSse(source())) messages.push(message);
    })();
    await expect(reading).rejects.toThrow('socket hang up');
    expect(messages).toEqual([{ data: '1' }]);
  });
});
