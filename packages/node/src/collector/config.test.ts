import { describe, expect, it } from 'vitest';
import { isTailorError } from '@tailor/core';
import { parseCollectorConfig, parseProcessorConfig } from './config';
import { parseDuration } from './duration';

function explain(input: unknown): string {
  try {
    parseCollectorConfig(input, 'tailor.config.json');
  } catch (error) {
    expect(isTailorError(error) && error.code).toBe('invalid_config');
    return (error as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('parseCollectorConfig', () => {
  it('fills in defaults a team expects', () => {
    const config = parseCollectorConfig({ sources: [{ id: 'web', writeKeys: ['wk_web_01234567'] }] });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8787,
      dataDir: './.tailor-data',
      dedupWindow: 86_400_000,
      limits: { maxEventBytes: 32_768, maxBatchBytes: 512_000, maxBatchEvents: 2_500 },
      maxSinkLag: 1_000_000,
      sources: [{ id: 'web', allowedOrigins: ['*'], secretKeys: [], rateLimit: { perSecond: 10_000, burst: 20_000 } }],
    });
  });

  it('reads durations written for people', () => {
    const config = parseCollectorConfig({ sources: [{ id: 'web', writeKeys: ['wk_web_01234567'] }], dedupWindow: '2h', retention: { maxAge: '30d' } });
    expect(config.dedupWindow).toBe(7_200_000);
    expect(config.retention.maxAge).toBe(30 * 86_400_000);
    expect([parseDuration('250ms'), parseDuration('1.5s'), parseDuration('x'), parseDuration(-1)]).toEqual([250, 1_500, undefined, undefined]);
  });

  it('explains every problem at once, naming the file and the field', () => {
    const message = explain({ port: 'eighty', sources: [{ id: 'bad id!', writeKeys: ['short'] }], dedupWindow: 'a while', sinks: { jetstream: { servers: 'nats://x', stream: 'has space' } }, color: 'blue' });
    expect(message).toMatch(/^\[tailor\] tailor.config.json is not a valid collector config:/);
    expect(message).toMatch(/port: /);
    expect(message).toMatch(/sources\[0\]\.id: source id must be 1-64 letters/);
    expect(message).toMatch(/sources\[0\]\.writeKeys\[0\]: write keys must be at least 8 characters/);
    expect(message).toMatch(/dedupWindow: dedupWindow must be a duration such as "30s"/);
    expect(message).toMatch(/sinks\.jetstream\.stream: stream names are letters/);
    expect(message).toMatch(/\(root\): .*color/);
  });

  it('requires a source, a key per source, unique ids and unshared keys', () => {
    expect(explain({ sources: [] })).toMatch(/configure at least one source/);
    expect(explain({ sources: [{ id: 'web' }] })).toMatch(/a source needs at least one write key or secret key/);
    expect(explain({ sources: [{ id: 'web', writeKeys: ['wk_web_01234567'] }, { id: 'web', writeKeys: ['wk_web_76543210'] }] })).toMatch(/the id "web" is used twice/);
    expect(explain({ sources: [{ id: 'a', writeKeys: ['wk_shared_0123'] }, { id: 'b', writeKeys: ['wk_shared_0123'] }] })).toMatch(/a key is shared by "a" and "b"/);
  });

  it('checks CORS origins', () => {
    expect(explain({ sources: [{ id: 'web', writeKeys: ['wk_web_01234567'], allowedOrigins: ['shop.example'] }] })).toMatch(/origins look like "https:\/\/shop.example"/);
  });

  it('fills in a cluster section and explains a wrong one', () => {
    const sources = [{ id: 'web', writeKeys: ['wk_web_01234567'] }];
    const config = parseCollectorConfig({ sources, cluster: { nats: 'nats://127.0.0.1:4222', postgres: 'postgres://postgres@127.0.0.1:5432/tailor' } });
    expect(config.cluster).toEqual({
      nats: 'nats://127.0.0.1:4222',
      postgres: 'postgres://postgres@127.0.0.1:5432/tailor',
      schema: 'tailor',
      stream: 'TAILOR_INGEST',
      subjectPrefix: 'tailor.ingest',
      partitions: 16,
      replicas: 1,
      duplicateWindow: 600_000,
      maxAge: 7 * 86_400_000,
    });
    const message = explain({ sources, cluster: { nats: '127.0.0.1:4222', postgres: 'mysql://x', redis: 'localhost', partitions: 0, schema: 'Bad-Schema', maxAge: 'long' } });
    expect(message).toMatch(/cluster\.nats: NATS URLs look like "nats:\/\/127\.0\.0\.1:4222"/);
    expect(message).toMatch(/cluster\.postgres: the PostgreSQL URL looks like/);
    expect(message).toMatch(/cluster\.redis: the Redis URL looks like/);
    expect(message).toMatch(/cluster\.partitions: /);
    expect(message).toMatch(/cluster\.schema: schema must be a lowercase SQL identifier/);
    expect(message).toMatch(/cluster\.maxAge: cluster\.maxAge must be a duration/);
  });

  it('reads a processor’s settings from a collector config, ignoring what only collectors use', () => {
    const config = parseProcessorConfig({ sources: [{ id: 'web', writeKeys: ['wk_web_01234567'] }], port: 8787, dedupWindow: '2h', cluster: { nats: 'nats://n:4222', postgres: 'postgres://p/db' } });
    expect(config.dedupWindow).toBe(7_200_000);
    expect(config.cluster.partitions).toBe(16);
    expect(config.identity.hashIdentifiers).toBe(true);
    expect(() => parseProcessorConfig({ cluster: { nats: 'nats://n:4222' } }, 'cluster.json')).toThrow(/cluster\.json is not a valid processor config:\n {2}- cluster\.postgres: /);
  });
});
