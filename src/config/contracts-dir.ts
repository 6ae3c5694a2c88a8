import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './config-error.js';

/**
 * The contracts directory. One a configuration file names must exist; the
 * default `./contracts` may be missing, and the gateway says so at start.
 */
export function contractsDirOf(
  configured: string | undefined,
  options: { baseDir: string; checkPaths?: boolean | undefined },
): string {
  const dir = resolve(options.baseDir, configured ?? './contracts');
  if (options.checkPaths && configured !== undefined && !existsSync(dir)) {
    throw new ConfigError('contracts_dir', `directory ${dir} does not exist`);
  }
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new ConfigError('contracts_dir', `${dir} is not a directory`);
  }
  return dir;
}
