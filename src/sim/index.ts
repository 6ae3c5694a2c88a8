/**
 * The provider simulator: OpenAI and Anthropic APIs with scripted faults,
 * the only upstream the gateway's demo mode, tests and benchmarks talk to.
 */
export { startSimulator } from './start-simulator.js';
export type {
  ModelBehaviour,
  RunningSimulator,
  SimulatorOptions,
  SimulatorStats,
} from './types.js';
export type { RateLimit } from './rate-limit-window.js';
export { SCENARIO_NAMES, ScenarioError } from './scenario-plan.js';
export { sampleSchema, type SampleSchemaOptions } from './sample-schema.js';
