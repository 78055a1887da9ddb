import type { TestProject } from 'vitest/node';
import { probeServices, servicesRequired, type ServiceGaps } from './services';

declare module 'vitest' {
  export interface ProvidedContext {
    serviceGaps: ServiceGaps;
  }
}

/**
 * Probes the real services once per run and hands the result to every test file (`inject('serviceGaps')`).
 * With TAILOR_REQUIRE_SERVICES=1 (CI) a missing service fails the run here, before any test is skipped.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const gaps = await probeServices();
  const missing = Object.entries(gaps);
  if (missing.length > 0 && servicesRequired()) {
    throw new Error(
      `[tailor] TAILOR_REQUIRE_SERVICES=1 but real-service suites cannot run:\n${missing.map(([name, why]) => `  - ${name}: ${why}`).join('\n')}`,
    );
  }
  project.provide('serviceGaps', gaps);
  return () => {
    if (missing.length === 0) return;
    const lines = missing.map(([name, why]) => `  - suites needing ${name} were skipped: ${why}`);
    process.stdout.write(`\n[tailor] Skipped real-service suites (set TAILOR_REQUIRE_SERVICES=1 to make this fail):\n${lines.join('\n')}\n`);
  };
}
