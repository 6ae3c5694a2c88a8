/**
 * What the gateway benchmark sends where. Each scenario compares targets
 * that do the same job for the client: the same chat completion straight to
 * the simulator, through Switchyard and through Portkey; the same structured
 * request direct, through both, and as Switchyard's typed `/v1/route`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './stack.mjs';

const MODEL = 'gpt-4o-mini-2024-07-18';
const TEXT = 'The parcel arrived on time, but the box was dented and one cup was chipped.';
const CLASSIFICATION = JSON.parse(readFileSync(join(ROOT, 'contracts', 'classification.json')));

const CHAT_BODY = JSON.stringify({
  model: MODEL,
  messages: [{ role: 'user', content: TEXT }],
  max_tokens: 64,
});

const STRUCTURED_BODY = JSON.stringify({
  model: MODEL,
  messages: [{ role: 'user', content: `Classify the sentiment: ${TEXT}` }],
  max_tokens: 64,
  response_format: {
    type: 'json_schema',
    json_schema: { name: 'classification', strict: true, schema: CLASSIFICATION },
  },
});

const ROUTE_BODY = JSON.stringify({
  task_type: 'classification',
  prompt: `Classify the sentiment: ${TEXT}`,
  contract: 'classification',
});

const JSON_HEADERS = { 'content-type': 'application/json', authorization: 'Bearer sk-bench' };
// A response cache (when there is one) must not answer the scenarios that
// measure the full path; the cache-hit scenario asks for it instead.
const NO_CACHE = { 'cache-control': 'no-cache, no-store' };

/** Every target by id; `portkey*` ones only exist when Portkey runs. */
export function buildTargets({ sim, switchyard, portkey, floor }) {
  const portkeyHeaders = portkey && {
    ...JSON_HEADERS,
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `${sim.url}/v1`,
  };
  const targets = {
    direct: {
      label: 'direct to simulator',
      url: `${sim.url}/v1/chat/completions`,
      headers: JSON_HEADERS,
      body: CHAT_BODY,
    },
    switchyard: {
      label: 'through Switchyard',
      url: `${switchyard.url}/v1/chat/completions`,
      headers: { ...JSON_HEADERS, ...NO_CACHE },
      body: CHAT_BODY,
    },
    'direct-structured': {
      label: 'direct to simulator (json_schema)',
      url: `${sim.url}/v1/chat/completions`,
      headers: JSON_HEADERS,
      body: STRUCTURED_BODY,
    },
    'switchyard-structured': {
      label: 'Switchyard chat, json_schema validated',
      url: `${switchyard.url}/v1/chat/completions`,
      headers: { ...JSON_HEADERS, ...NO_CACHE },
      body: STRUCTURED_BODY,
    },
    'switchyard-route': {
      label: 'Switchyard /v1/route with contract',
      url: `${switchyard.url}/v1/route`,
      headers: { ...JSON_HEADERS, ...NO_CACHE },
      body: ROUTE_BODY,
    },
    'switchyard-cache': {
      label: 'Switchyard /v1/route, cache hit',
      url: `${switchyard.url}/v1/route`,
      headers: { ...JSON_HEADERS, 'cache-control': 'max-age=600' },
      body: ROUTE_BODY,
    },
  };
  if (floor) {
    targets.floor = {
      label: 'through a minimal Node proxy (reference)',
      url: `${floor.url}/v1/chat/completions`,
      headers: JSON_HEADERS,
      body: CHAT_BODY,
    };
  }
  if (portkey) {
    targets.portkey = {
      label: 'through Portkey',
      url: `${portkey.url}/v1/chat/completions`,
      headers: portkeyHeaders,
      body: CHAT_BODY,
    };
    targets['portkey-structured'] = {
      label: 'Portkey chat, json_schema forwarded (not validated)',
      url: `${portkey.url}/v1/chat/completions`,
      headers: portkeyHeaders,
      body: STRUCTURED_BODY,
    };
  }
  return targets;
}

async function post(target) {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: target.headers,
    body: target.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, text };
}

/** One request per target before any load: each must answer 200 with the expected shape. */
export async function checkTargets(targets) {
  for (const [id, target] of Object.entries(targets)) {
    if (id === 'switchyard-cache') continue;
    const { status, text } = await post(target);
    if (status !== 200)
      throw new Error(`${id}: expected 200, got ${status}: ${text.slice(0, 300)}`);
    const body = JSON.parse(text);
    const ok = id === 'switchyard-route' ? body.payload?.label : body.choices?.[0]?.message;
    if (!ok) throw new Error(`${id}: unexpected answer ${text.slice(0, 300)}`);
    if (id.endsWith('structured')) JSON.parse(body.choices[0].message.content);
  }
}

/**
 * Whether Switchyard serves a repeated `/v1/route` request from its response
 * cache: the second identical request must say `cache_hit: true`.
 */
export async function probeCache(target) {
  await post(target);
  const { status, text } = await post(target);
  if (status !== 200) return { available: false, why: `the repeated request got ${status}` };
  const body = JSON.parse(text);
  if (body.cache_hit === true) return { available: true };
  return {
    available: false,
    why:
      'a repeated identical /v1/route request with `Cache-Control: max-age=600` came back ' +
      `with \`cache_hit: ${JSON.stringify(body.cache_hit)}\`; the response cache is not in this build`,
  };
}
