/**
 * An abort controller for the request path. Its signal works as an
 * `AbortSignal` everywhere the gateway uses one: `aborted`, `reason`,
 * `throwIfAborted`, `onabort` and `abort` events (so undici and every
 * listener here accept it), but it is a plain `EventTarget` subclass, not
 * Node's `AbortSignal`.
 *
 * The reason is the garbage collector. On Node 20 (V8 11.3) every
 * `AbortSignal` survives the young-generation collections it meets, so it
 * is promoted and freed only by a full collection;
 * `bench/gc-survival.mjs` shows it. With two per request, 500 requests a
 * second promoted about 0.3 MB between two scavenges, which came back as
 * major GC pauses in the gateway's p99. This signal dies young.
 *
 * What needs a real `AbortSignal` (`AbortSignal.any`, a library that checks
 * `instanceof`) must link one to it; see `linkedAbortSignal`.
 */
export class LightAbortSignal extends EventTarget implements AbortSignal {
  #aborted = false;
  #reason: unknown = undefined;
  onabort: ((this: AbortSignal, event: Event) => unknown) | null = null;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }

  /** Called by the controller only. */
  markAborted(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const event = new Event('abort');
    this.onabort?.call(this, event);
    this.dispatchEvent(event);
  }
}

export class LightAbortController {
  readonly signal = new LightAbortSignal();

  /** Aborts the signal; as with `AbortController`, the default reason is an `AbortError`. */
  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    this.signal.markAborted(reason);
  }
}

/**
 * A real `AbortSignal` that aborts (with the same reason) when any of
 * `signals` does, and `unlink` to let go of their listeners. For the few
 * callers that need Node's own signal; it costs what `AbortSignal` costs.
 */
export function linkedAbortSignal(signals: readonly AbortSignal[]): {
  signal: AbortSignal;
  unlink(): void;
} {
  const controller = new AbortController();
  const links = signals.map((source) => {
    const onAbort = () => controller.abort(source.reason);
    if (source.aborted) onAbort();
    else source.addEventListener('abort', onAbort, { once: true });
    return () => source.removeEventListener('abort', onAbort);
  });
  return {
    signal: controller.signal,
    unlink: () => links.forEach((unlink) => unlink()),
  };
}
