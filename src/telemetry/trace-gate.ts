import type { DeploymentGate } from '../routing/deployment-gate.js';
import { currentRequestSpan } from './request-span.js';

/**
 * Wraps the engine's gate so that the request span being `run` learns when
 * each attempt really started (admitted) and ended (its upstream call
 * returned and the admission was released). It decides nothing itself.
 */
export function traceGate(inner: DeploymentGate): DeploymentGate {
  return {
    async admit(deployment, context) {
      const admission = await inner.admit(deployment, context);
      if (!admission.ok) return admission;

      const span = currentRequestSpan();
      span?.attemptStarted(deployment.id);
      return {
        ok: true,
        release: () => {
          span?.attemptEnded(deployment.id);
          admission.release();
        },
      };
    },
    record: (deployment, result) => inner.record(deployment, result),
  };
}
