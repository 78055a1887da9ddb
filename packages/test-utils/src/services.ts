import { existsSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * Set by `.ci/run`: a suite that needs a real service fails instead of skipping when the service is missing.
 */
export const REQUIRE_SERVICES_ENV = 'TAILOR_REQUIRE_SERVICES';

export function servicesRequired(): boolean {
  return process.env[REQUIRE_SERVICES_ENV] === '1';
}

export const CHROMIUM_PATH = process.env.TAILOR_CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * Flags for Debian's Chromium here: run as root without a sandbox or GPU, and make no background
 * connections (this machine's network is closed; Chromium would otherwise try Google's hosts at start).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
] as const;
export const NATS_HOST = process.env.TAILOR_NATS_HOST ?? '127.0.0.1';
export const NATS_PORT = Number(process.env.TAILOR_NATS_PORT ?? 4222);

/** Why a real-service suite cannot run here, keyed by service; empty when everything is present. */
export type ServiceGaps = Partial<Record<'chromium' | 'nats', string>>;

export function chromiumGap(): string | undefined {
  return existsSync(CHROMIUM_PATH)
    ? undefined
    : `no Chromium at ${CHROMIUM_PATH} (install it with: apt-get install -y chromium)`;
}

/** Resolves true when something accepts TCP connections at host:port within the timeout. */
export function isListening(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function natsGap(): Promise<string | undefined> {
  return (await isListening(NATS_HOST, NATS_PORT))
    ? undefined
    : `no NATS server at ${NATS_HOST}:${NATS_PORT} (start one with: nats-server -js -a ${NATS_HOST} -p ${NATS_PORT})`;
}

export async function probeServices(): Promise<ServiceGaps> {
  const gaps: ServiceGaps = {};
  const chromium = chromiumGap();
  if (chromium) gaps.chromium = chromium;
  const nats = await natsGap();
  if (nats) gaps.nats = nats;
  return gaps;
}
