import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './nats-helpers';

/*
 * A PRIVATE PostgreSQL server (initdb + pg_ctl in a temp dir, on a free port) that a test may crash
 * (`pg_ctl stop -m immediate`: no checkpoint, no flush of shared buffers, like a killed server) and start
 * again. The machine's shared PostgreSQL is never touched.
 */

const BIN = (() => {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'pg_ctl')));
})();

/** Why a private server cannot run here; undefined when it can. */
export const privatePostgresGap = BIN === undefined ? 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install -y postgresql)' : undefined;

/** initdb refuses to run as root: run the server binaries as the `postgres` user when we are root. */
function command(tool: string, args: string[]): [string, string[]] {
  const path = join(BIN as string, tool);
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
}

function pgTool(tool: string, args: string[]): void {
  const [file, argv] = command(tool, args);
  execFileSync(file, argv, { stdio: 'pipe', timeout: 60_000 });
}

function pgToolAsync(tool: string, args: string[]): Promise<void> {
  const [file, argv] = command(tool, args);
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: 60_000 }, (error) => (error ? reject(error) : resolve()));
  });
}

export interface PrivatePostgres {
  readonly connectionString: string;
  /** Kills the server as a crash would; resolves once it is down. */
  crash(): Promise<void>;
  /** Starts it again (recovery from its WAL); resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it for good and deletes its files. */
  destroy(): void;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  if (BIN === undefined) throw new Error(privatePostgresGap);
  const dir = mkdtempSync(join(tmpdir(), 'tailor-pg-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
  const port = await freePort();
  const data = join(dir, 'data');
  pgTool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres']);
  const startArgs = ['-D', data, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200`, '-l', join(dir, 'server.log'), '-w', 'start'];
  pgTool('pg_ctl', startArgs);
  const stopArgs = ['-D', data, '-m', 'immediate', '-w', 'stop'];
  return {
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    crash: () => pgToolAsync('pg_ctl', stopArgs),
    start: () => pgToolAsync('pg_ctl', startArgs),
    destroy() {
      try {
        pgTool('pg_ctl', stopArgs);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
