import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SILENT_LOGGER } from '@tailor/core';
import { startCollector, type Collector } from '../src/collector/collector';
import { parseCollectorConfig, type CollectorConfigInput } from '../src/collector/config';

export const WRITE_KEY = 'wk_test_0123456789';
export const OTHER_KEY = 'wk_other_0123456789';

/** A real collector (LMDB in a temp dir, HTTP on a free port) for integration tests. */
export async function startTestCollector(overrides: Partial<CollectorConfigInput> = {}): Promise<Collector & { dataDir: string; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tailor-collector-'));
  const config = parseCollectorConfig({
    port: 0,
    dataDir,
    sources: [
      { id: 'web', writeKeys: [WRITE_KEY], rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } },
      { id: 'other', writeKeys: [OTHER_KEY] },
    ],
    ...overrides,
  });
  const collector = await startCollector(config, { logger: SILENT_LOGGER });
  return Object.assign(collector, {
    dataDir,
    async stop() {
      await collector.close({ drainMs: 0 });
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export function basicAuth(key: string): string {
  return `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
}
