import { spawn } from 'node:child_process';

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end, feeding it `stdin`, bounded by `timeoutMs`. */
export function runTool(input: {
  path: string;
  args: string[];
  cwd?: string;
  stdin?: string;
  timeoutMs?: number;
}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(input.path, input.args, {
      cwd: input.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: input.timeoutMs ?? 20_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input.stdin ?? '');
  });
}
