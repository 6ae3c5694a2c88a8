import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, invalidRequest } from '../errors/gateway-error.js';
import { sendJson, toErrorResponse } from '../server/error-response.js';
import { readJsonBody } from '../server/read-json-body.js';
import type { PolicyEngine } from './policy-engine.js';

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface PolicyHandlerOptions {
  /**
   * Decides whether the caller may see or change policies. The default lets
   * everyone in: mount these routes behind the admin guard (issue 4's admin
   * token) or on a private listener, or anyone who can reach the gateway can
   * resume a model the policies paused.
   */
  authorize?: (req: IncomingMessage) => boolean;
}

const BODY_LIMIT_BYTES = 16 * 1024;

/** `GET /admin/policies`: every policy's settings, current state and latest changes. */
export function policiesHandler(
  engine: PolicyEngine,
  options: PolicyHandlerOptions = {},
): HttpHandler {
  return async function listPolicies(req, res) {
    if (!allowed(req, res, options)) return;
    sendJson(res, { status: 200, body: engine.list() });
  };
}

/**
 * `POST /admin/policies/resume` with `{"model": "..."}` and/or `{"tier": "..."}`:
 * resumes a paused model or ends a tier's downgrade now. 404 when neither
 * was paused or downgraded.
 */
export function resumePoliciesHandler(
  engine: PolicyEngine,
  options: PolicyHandlerOptions = {},
): HttpHandler {
  return async function resumePolicies(req, res) {
    if (!allowed(req, res, options)) return;
    try {
      const body = await readJsonBody(req, { limitBytes: BODY_LIMIT_BYTES });
      const target = parseTarget(body);
      const resumed = engine.resume(target);
      if (resumed.length === 0) {
        const what =
          target.model !== undefined ? `model "${target.model}"` : `tier "${target.tier}"`;
        throw new GatewayError('not_found', `${what} is not paused by a policy`);
      }
      sendJson(res, { status: 200, body: { resumed } });
    } catch (error) {
      const answer = toErrorResponse(error, requestIdOf(res));
      sendJson(res, answer);
    }
  };
}

function parseTarget(body: Record<string, unknown>): { model?: string; tier?: string } {
  for (const key of Object.keys(body)) {
    if (key !== 'model' && key !== 'tier') throw invalidRequest(key, 'is not a known field');
  }
  const { model, tier } = body;
  if (model === undefined && tier === undefined) {
    throw invalidRequest('model', 'name a model or a tier to resume');
  }
  if (model !== undefined && (typeof model !== 'string' || model === '')) {
    throw invalidRequest('model', 'must be a non-empty string');
  }
  if (tier !== undefined && (typeof tier !== 'string' || tier === '')) {
    throw invalidRequest('tier', 'must be a non-empty string');
  }
  return Object.assign(
    {},
    model !== undefined ? { model: model as string } : {},
    tier !== undefined ? { tier: tier as string } : {},
  );
}

function allowed(req: IncomingMessage, res: ServerResponse, options: PolicyHandlerOptions) {
  if (!options.authorize || options.authorize(req)) return true;
  const error = new GatewayError('forbidden', 'admin access is required');
  sendJson(res, toErrorResponse(error, requestIdOf(res)));
  return false;
}

function requestIdOf(res: ServerResponse): string {
  const id = res.getHeader('x-request-id');
  return typeof id === 'string' ? id : 'admin';
}
