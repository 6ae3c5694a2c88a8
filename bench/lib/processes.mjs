/**
 * Child processes of the benchmarks: the simulator, Switchyard and the
 * Portkey gateway, each a separate `node` process on a loopback port, so
 * that each one's peak memory can be read from /proc/PID/status.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** A free TCP port on 127.0.0.1, found by binding port 0 and letting it go. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `node ...nodeArgs` and waits until `readyUrl` answers (any status).
 * stdout goes to /dev/null unless `onStdoutLine` wants the lines; stderr is
 * kept (last 4 KiB) to explain a child that dies.
 */
export async function startNode(options) {
  const { name, nodeArgs, env = {}, readyUrl, onStdoutLine, cwd } = options;
  const child = spawn(process.execPath, nodeArgs, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', onStdoutLine ? 'pipe' : 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4096)));
  if (onStdoutLine) pipeLines(child.stdout, onStdoutLine);
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  await waitUntilUp({ name, url: readyUrl, child, stderr: () => stderr });
  return {
    name,
    pid: child.pid,
    /** Peak and current resident set size, in MB, from /proc/PID/status. */
    memoryMB: () => readMemoryMB(child.pid),
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function pipeLines(stream, onLine) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  });
}

async function waitUntilUp({ name, url, child, stderr }) {
  const deadlineMs = Date.now() + 20_000;
  while (Date.now() < deadlineMs) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited with ${child.exitCode} before it was up:\n${stderr()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      return;
    } catch {
      await delay(100);
    }
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not answer ${url} within 20 s:\n${stderr()}`);
}

/** VmHWM (peak) and VmRSS (now) of a process, in MB of 10^6 bytes (/proc says kB for KiB). */
export function readMemoryMB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { peakMB: (kib('VmHWM') * 1024) / 1e6, currentMB: (kib('VmRSS') * 1024) / 1e6 };
}

/**
 * Throws unless every socket listening on `port` is bound to loopback, read
 * from /proc/net/tcp and tcp6 (addresses in hex, little-endian for IPv4).
 */
export function assertLoopbackOnly(port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const loopback = new Set([
    '0100007F',
    '00000000000000000000000001000000',
    '0000000000000000FFFF00000100007F',
  ]);
  const listening = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [address, localPort] = (fields[1] ?? '').split(':');
      // State 0A is LISTEN.
      if (localPort === hexPort && fields[3] === '0A') listening.push(address);
    }
  }
  if (listening.length === 0) throw new Error(`nothing listens on port ${port}`);
  const exposed = listening.filter((address) => !loopback.has(address));
  if (exposed.length > 0) {
    throw new Error(`port ${port} listens beyond loopback (${exposed.join(', ')}); stopping`);
  }
}
