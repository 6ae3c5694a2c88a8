import { describe, expect, it } from 'vitest';
import { parseCacheControl } from './cache-control.js';

describe('parseCacheControl', () => {
  it('asks for nothing without a header', () => {
    expect(parseCacheControl(undefined)).toEqual({ noCache: false, noStore: false });
  });

  it('skips the lookup for no-cache', () => {
    expect(parseCacheControl('no-cache')).toEqual({ noCache: true, noStore: false });
  });

  it('skips the write for no-store', () => {
    expect(parseCacheControl('no-store')).toEqual({ noCache: false, noStore: true });
  });

  it('reads both from a list, case-insensitively and with spaces', () => {
    expect(parseCacheControl('max-age=0, No-Store ,NO-CACHE')).toEqual({
      noCache: true,
      noStore: true,
    });
  });

  it('reads repeated headers as one list', () => {
    expect(parseCacheControl(['private', 'no-store'])).toEqual({ noCache: false, noStore: true });
  });

  it('does not mistake a directive whose name only starts with no-cache', () => {
    expect(parseCacheControl('no-cache-please, x-no-store')).toEqual({
      noCache: false,
      noStore: false,
    });
  });

  it('ignores an argument given to no-cache, as RFC 9111 allows', () => {
    expect(parseCacheControl('no-cache="set-cookie"').noCache).toBe(true);
  });
});
