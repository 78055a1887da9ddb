import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface ListeningProcess {
  readonly child: ChildProcess;
  /** The URL the process printed as `listening on http://…`. */
  readonly url: string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
}

/**
 * Starts a server process and resolves once it prints `listening on http://…` on stderr (as `tailor
 * collector` and the benchmark servers do). Rejects with its output if it exits first or takes too long.
 */
export function spawnListening(command: string, args: readonly string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<ListeningProcess> {
  const { timeoutMs = 20_000, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] as string, stderr: () => output });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}
