import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

/** A program a test suite needs, and where .ci/run gets it from. */
export interface RequiredTool {
  /** The command name looked up on PATH, or an absolute path. */
  command: string;
  /** The Debian package that provides it. */
  debianPackage: string;
}

export const PROMTOOL: RequiredTool = { command: 'promtool', debianPackage: 'prometheus' };
export const CHROMIUM: RequiredTool = { command: '/usr/bin/chromium', debianPackage: 'chromium' };

/** The absolute path of the tool, or undefined when it is not installed. */
export function findTool(tool: RequiredTool): string | undefined {
  const candidates = tool.command.includes('/')
    ? [tool.command]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, tool.command));
  return candidates.find(isExecutable);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * `describe` for a suite that runs an external tool. When the tool is
 * missing, CI (`CI=true`) gets one failing test saying so, because .ci/run
 * installs it and a silent skip would hide a broken install; elsewhere the
 * suite is skipped under a name that says which tool and package to install.
 */
export function describeWithTool(
  tool: RequiredTool,
  name: string,
  suite: (path: string) => void,
): void {
  const path = findTool(tool);
  if (path) {
    describe(name, () => suite(path));
    return;
  }

  const missing = `${tool.command} is not installed (Debian package ${tool.debianPackage})`;
  describe(name, () => {
    if (process.env.CI === 'true') {
      it('has its tool installed', () => {
        throw new Error(`${missing}; .ci/run should have installed it`);
      });
    } else {
      it.skip(`skipped: ${missing}`, () => {});
    }
  });
}
