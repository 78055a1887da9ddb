import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnListening } from '../packages/test-utils/src/spawn-listening';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Starts a server script as its own process (its own core) and resolves with its URL once it listens. */
export async function startServer(script: string, args: string[] = []): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const { child, url } = await spawnListening(process.execPath, ['--conditions=tailor-source', '--import', 'tsx', script, ...args], { cwd: ROOT, timeoutMs: 30_000 });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
