import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { LightAbortController, linkedAbortSignal } from './light-abort.js';

describe('LightAbortController', () => {
  it('aborts once, with an AbortError by default, telling listeners and onabort', () => {
    const controller = new LightAbortController();
    const heard: string[] = [];
    controller.signal.addEventListener('abort', () => heard.push('listener'), { once: true });
    controller.signal.onabort = () => heard.push('onabort');
    expect(controller.signal.aborted).toBe(false);
    expect(() => controller.signal.throwIfAborted()).not.toThrow();

    controller.abort();
    controller.abort(new Error('second'));
    expect(heard).toEqual(['onabort', 'listener']);
    expect(controller.signal.aborted).toBe(true);
    expect((controller.signal.reason as DOMException).name).toBe('AbortError');
    expect(() => controller.signal.throwIfAborted()).toThrow('This operation was aborted');
  });

  it('keeps the reason it was given', () => {
    const controller = new LightAbortController();
    const reason = new Error('client disconnected');
    controller.abort(reason);
    expect(controller.signal.reason).toBe(reason);
  });

  it('cancels an undici request in flight with its reason', async () => {
    const server = createServer(() => {}); // never answers
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const pool = new Pool(`http://127.0.0.1:${port}`);
    try {
      const controller = new LightAbortController();
      const request = pool.request({ path: '/', method: 'GET', signal: controller.signal });
      setTimeout(() => controller.abort(new Error('deadline')), 20);
      await expect(request).rejects.toThrow('deadline');
    } finally {
      await pool.destroy();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('linkedAbortSignal', () => {
  it('gives a real AbortSignal that follows the first source to abort, with its reason', () => {
    const light = new LightAbortController();
    const real = new AbortController();
    const { signal, unlink } = linkedAbortSignal([light.signal, real.signal]);
    expect(signal).toBeInstanceOf(AbortSignal);
    light.abort(new Error('gone'));
    real.abort(new Error('later'));
    expect(signal.reason).toEqual(new Error('gone'));
    unlink();
  });

  it('starts aborted when a source already is, and stops following after unlink', () => {
    const aborted = new LightAbortController();
    aborted.abort(new Error('before'));
    expect(linkedAbortSignal([aborted.signal]).signal.aborted).toBe(true);

    const later = new LightAbortController();
    const link = linkedAbortSignal([later.signal]);
    link.unlink();
    later.abort();
    expect(link.signal.aborted).toBe(false);
  });
});
