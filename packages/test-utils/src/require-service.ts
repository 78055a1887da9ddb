import { describe, inject } from 'vitest';
import type { ServiceGaps } from './services';

/**
 * `describe` for a suite that needs a real service: it runs when the service is there and is skipped,
 * with the reason in its title, when it is not. (CI never gets here without the service: the global
 * setup fails first.)
 *
 * @example
 * describeWithService('nats', 'JetStream outbox', () => { ... });
 */
export function describeWithService(service: keyof ServiceGaps, name: string, body: () => void): void {
  const gap = inject('serviceGaps')?.[service];
  if (gap === undefined) describe(name, body);
  else describe.skip(`${name} [skipped: ${gap}]`, body);
}
