/**
 * The requests of the workload benchmark: a seeded, repeatable stream of
 * `/v1/route` bodies in the proportions of the issue (about 65%
 * classification, 25% extraction, 8% reasoning, 2% other), each prompt
 * built from templates so lengths and wording vary the way support tickets,
 * documents and questions do. Nothing here is random at run time: the same
 * seed gives the same requests, in the same order, on every machine.
 */

/** A small, fast, seedable PRNG (mulberry32); returns numbers in [0, 1). */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Task types and their shares, in percent; `summary` stands for "other". */
export const MIX = [
  { taskType: 'classification', sharePct: 65 },
  { taskType: 'extraction', sharePct: 25 },
  { taskType: 'reasoning', sharePct: 8 },
  { taskType: 'summary', sharePct: 2 },
];

/**
 * "Other" work has no contract file: it sends its schema inline, and its
 * task type is not configured, so it goes to the default tier.
 */
export const SUMMARY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'action_items'],
  properties: {
    summary: { type: 'string', minLength: 1 },
    action_items: { type: 'array', items: { type: 'string' } },
  },
};

const pick = (random, list) => list[Math.floor(random() * list.length)];

const PRODUCTS = ['blender', 'router', 'standing desk', 'phone case', 'coffee grinder', 'monitor'];
const PRODUCTS_2 = ['headphones', 'kettle', 'backpack', 'air purifier', 'keyboard', 'printer'];
const OPENERS = [
  'Hi,',
  'Hello team,',
  'To whom it may concern:',
  'Quick note:',
  'Order update -',
  '',
];
const BODIES = [
  'the {p} arrived two days late and the box was crushed on one corner',
  'I love the new {p}, setup took five minutes and it works exactly as described',
  'the {p} stopped working after a week and nobody answered my two emails',
  'can you tell me whether the {p} ships to Norway and how long it takes',
  'the replacement {p} is fine but I was charged twice for shipping',
  'support fixed my problem with the {p} within an hour, really impressed',
  'the {p} I ordered in grey came in blue; not a big deal, just letting you know',
  'third time this month the app crashed while I was paying for the {p}',
];
const CLOSERS = ['Thanks.', 'Regards, a long-time customer.', 'Cheers!', '', 'Please advise.'];

const PEOPLE = [
  'Ana Lima',
  'Kenji Sato',
  'Fatima Zahra',
  'Oliver Brandt',
  'Priya Nair',
  'Tom Okafor',
];
const ORGS = ['Northwind Traders', 'Globex GmbH', 'Acme Logistics', 'Blue Harbor Bank', 'Initech'];
const PLACES = ['Lisbon', 'Osaka', 'Rotterdam', 'Nairobi', 'Montreal', 'Valparaíso'];
const SENTENCES = [
  '{person} of {org} signed the renewal in {place} on {date}.',
  'The audit of {org} was led by {person} and closed on {date}.',
  'On {date}, {person} moved the {place} office of {org} to a new building.',
  '{org} appointed {person} as regional director for {place}, effective {date}.',
  'Invoices from {org} dated {date} were disputed by {person}.',
];
const FILLER = [
  'The parties agreed to review the terms each quarter.',
  'No other changes were recorded in the minutes.',
  'Payment terms remain net thirty days.',
  'A copy was sent to the legal department for filing.',
  'The meeting ended with a short discussion of next steps.',
];

const QUESTIONS = [
  'A warehouse ships {a} parcels a day and {b}% are returned. Half the returns are resold. ' +
    'How many parcels a week are lost, assuming a seven-day week?',
  'Plan A costs ${a} a month plus $0.{b} per request; plan B costs ${c} flat. ' +
    'Above how many requests a month is plan B cheaper?',
  'A queue receives {a} jobs an hour and {c} workers each finish {b} jobs an hour. ' +
    'Does the backlog grow or shrink, and by how much per day?',
  'Three suppliers quote {a}, {b} and {c} days for delivery with on-time rates of 90%, ' +
    '75% and 99%. Which one minimises expected days late, and why?',
];

function classificationPrompt(random, n) {
  const body = pick(random, BODIES).replace('{p}', pick(random, [...PRODUCTS, ...PRODUCTS_2]));
  const text = [pick(random, OPENERS), `${body}.`, pick(random, CLOSERS), `(ticket ${n})`]
    .filter(Boolean)
    .join(' ');
  return `Classify the sentiment of this customer message: ${text}`;
}

function isoDate(random) {
  const day = 1 + Math.floor(random() * 28);
  const month = 1 + Math.floor(random() * 12);
  return `2025-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function extractionPrompt(random, n) {
  const lines = [];
  const count = 2 + Math.floor(random() * 6);
  for (let i = 0; i < count; i++) {
    lines.push(
      pick(random, SENTENCES)
        .replace('{person}', pick(random, PEOPLE))
        .replace('{org}', pick(random, ORGS))
        .replace('{place}', pick(random, PLACES))
        .replace('{date}', isoDate(random)),
    );
    if (random() < 0.6) lines.push(pick(random, FILLER));
  }
  return (
    `Extract every person, organisation, place and date named in document ${n}, ` +
    `with the time of extraction:\n\n${lines.join(' ')}`
  );
}

function reasoningPrompt(random, n) {
  const number = (low, high) => String(low + Math.floor(random() * (high - low)));
  const question = pick(random, QUESTIONS)
    .replace('{a}', number(40, 900))
    .replace('{b}', number(2, 40))
    .replace('{c}', number(3, 60));
  return `Question ${n}. ${question} Show the steps that lead to the answer.`;
}

function summaryPrompt(random, n) {
  const notes = [];
  const count = 3 + Math.floor(random() * 5);
  for (let i = 0; i < count; i++) {
    notes.push(`- ${pick(random, PEOPLE)}: ${pick(random, FILLER)}`);
  }
  return `Summarise meeting ${n} and list its action items:\n${notes.join('\n')}`;
}

/** The task type of request `n`, drawn from MIX. */
function taskTypeFor(random) {
  let roll = random() * 100;
  for (const { taskType, sharePct } of MIX) {
    if (roll < sharePct) return taskType;
    roll -= sharePct;
  }
  return MIX[0].taskType;
}

/**
 * `count` requests as `{ index, taskType, body }` with `body` the JSON text
 * of a `/v1/route` request. The all-heavy comparison sends the very same
 * bodies to a gateway whose configuration maps every task type to heavy.
 */
export function buildWorkload({ count, seed = 20251201 }) {
  const random = seededRandom(seed);
  const requests = [];
  for (let index = 0; index < count; index++) {
    const taskType = taskTypeFor(random);
    const n = 1000 + index;
    const body =
      taskType === 'classification'
        ? { task_type: taskType, prompt: classificationPrompt(random, n), contract: taskType }
        : taskType === 'extraction'
          ? { task_type: taskType, prompt: extractionPrompt(random, n), contract: taskType }
          : taskType === 'reasoning'
            ? { task_type: taskType, prompt: reasoningPrompt(random, n), contract: taskType }
            : { task_type: taskType, prompt: summaryPrompt(random, n), schema: SUMMARY_SCHEMA };
    requests.push({ index, taskType, body: JSON.stringify(body) });
  }
  return requests;
}
