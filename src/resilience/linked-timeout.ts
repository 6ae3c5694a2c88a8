import { LightAbortController } from './light-abort.js';

/**
 * A signal that aborts when `parent` does (with the parent's reason) or when
 * `ms` have passed (with a `TimeoutError` DOMException carrying `message`).
 * `dispose` lets go of the timer and of the listener on `parent` at once, so
 * neither outlives the work it guards. This is what
 * `AbortSignal.any([parent, AbortSignal.timeout(ms)])` does, without its cost
 * per call and without keeping every timer alive for its whole duration.
 */
export interface LinkedTimeout {
  readonly signal: AbortSignal;
  /** True once the timer, not the parent, aborted the signal. */
  readonly timedOut: boolean;
  dispose(): void;
}

export function linkedTimeout(parent: AbortSignal, ms: number, message: string): LinkedTimeout {
  const controller = new LightAbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  // A plain field, not a getter: on Node 20 an object literal with an
  // accessor outlives young-generation GCs, and this one holds `parent`.
  const linked = {
    signal: controller.signal,
    timedOut: false,
    dispose() {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
  const timer = setTimeout(() => {
    linked.timedOut = true;
    controller.abort(new DOMException(message, 'TimeoutError'));
  }, ms);
  timer.unref();
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  return linked;
}
