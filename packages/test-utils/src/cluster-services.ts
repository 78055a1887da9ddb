import { describe } from 'vitest';
import { isListening, servicesRequired } from './services';

/** The machine's shared PostgreSQL (trust auth for `postgres` on 127.0.0.1); tests use a schema of their own. */
export const POSTGRES_URL = process.env.TAILOR_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TAILOR_REDIS_URL ?? 'redis://127.0.0.1:6379';

function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || defaultPort) };
}

export async function postgresGap(): Promise<string | undefined> {
  const { host, port } = hostPort(POSTGRES_URL, 5432);
  return (await isListening(host, port))
    ? undefined
    : `no PostgreSQL at ${host}:${port} (start it with: pg_ctlcluster 15 main start, or set TAILOR_POSTGRES_URL)`;
}

export async function redisGap(): Promise<string | undefined> {
  const { host, port } = hostPort(REDIS_URL, 6379);
  return (await isListening(host, port)) ? undefined : `no Redis at ${host}:${port} (start it with: redis-server --daemonize yes, or set TAILOR_REDIS_URL)`;
}

/** Why the cluster-mode services cannot be used here; empty when both are up. */
export async function probeClusterServices(): Promise<Partial<Record<'postgres' | 'redis', string>>> {
  const [postgres, redis] = await Promise.all([postgresGap(), redisGap()]);
  return { ...(postgres === undefined ? {} : { postgres }), ...(redis === undefined ? {} : { redis }) };
}

/**
 * `describe` for a suite that needs PostgreSQL or Redis, given the probe's answer: skipped with the reason in
 * its title when the service is missing, and failing instead under TAILOR_REQUIRE_SERVICES=1 (CI).
 * (Until the global setup probes these services too, each test file probes them itself.)
 *
 * @example
 * const gaps = await probeClusterServices();
 * describeWithClusterService(gaps.postgres, 'PostgreSQL event store', () => { ... });
 */
export function describeWithClusterService(gap: string | undefined, name: string, body: () => void): void {
  if (gap === undefined) describe(name, body);
  else if (servicesRequired()) {
    describe(name, () => {
      throw new Error(`[tailor] TAILOR_REQUIRE_SERVICES=1 but this suite cannot run: ${gap}`);
    });
  } else describe.skip(`${name} [skipped: ${gap}]`, body);
}
