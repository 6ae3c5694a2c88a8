/** A configuration that cannot run; `path` names the offending key. */
export class ConfigError extends Error {
  readonly path: string;
  readonly code = 'invalid_config';

  constructor(path: string, message: string) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'ConfigError';
    this.path = path;
  }
}
