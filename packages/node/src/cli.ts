#!/usr/bin/env node
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isTailorError } from '@tailor/core';
import { pino } from 'pino';
import { availableParallelism } from 'node:os';
import { clusterWorkerCount, isClusterWorker, runClusterPrimary, runClusterWorker } from './collector/cluster';
import { startCollector } from './collector/collector';
import { parseCollectorConfig, parseProcessorConfig, type CollectorConfigInput } from './collector/config';
import { parseDuration } from './collector/duration';
import { createJetStreamSink, subjectToken } from './collector/jetstream-sink';
import { createLmdbStore } from './collector/lmdb-store';
import { createProgress } from './progress';
import { RESOLVE_HELP } from './resolve/help';
import { IMPORT_HELP } from './import/help';
import { TRAIN_HELP } from './training/help';
import { REPORT_HELP } from './reports/help';

const HELP = `tailor — Tailor's self-hosted collector and tools

Usage:
  tailor collector [--port 8787] [--host 127.0.0.1] [--data-dir ./.tailor-data] [--write-key KEY]… [--config tailor.config.json|ts]
                   [--nats nats://127.0.0.1:4222] [--rate-limit 10000] [--workers N|auto] [--log-level info]
      Runs the collector. With no config file, --write-key KEY creates one source ("default").
      --workers N runs N processes on the port and the store (one per core with "auto"); default 1.
  tailor collector --mode cluster --nats nats://127.0.0.1:4222 --postgres postgres://user@127.0.0.1:5432/db [--redis redis://127.0.0.1:6379]
                   [--partitions 16] [--write-key KEY]… [--config FILE] [--port 8787]
      A stateless collector of a cluster: answers once JetStream has the event; profiles and decisions come
      from the shared PostgreSQL store (Redis in front). Run any number behind a load balancer, with processors.
  tailor processor --nats URL --postgres URL [--redis URL] [--partitions 16] [--port 9464] [--config FILE]
      Consumes its share of the cluster's partitions into PostgreSQL and, while it holds the projector lease,
      resolves identities and updates profiles. Run two or more: they share the work and take over a dead one's.
  tailor export --data-dir DIR [--since 2026-11-01T00:00:00Z|24h] [--source ID] [--out FILE]
      Writes stored events as NDJSON (stdout unless --out).
  tailor replay --data-dir DIR --nats URL [--stream TAILOR_EVENTS] [--subject-prefix tailor.events] [--since T] [--source ID]
      Re-sends the stored log to JetStream (deduplicated there by messageId), with a progress bar.
${RESOLVE_HELP}${IMPORT_HELP}${TRAIN_HELP}${REPORT_HELP}  tailor help
`;

function fail(message: string): never {
  process.stderr.write(`tailor: ${message}\n`);
  process.exit(2);
}

async function readConfigFile(path: string): Promise<unknown> {
  const file = resolve(path);
  if (!existsSync(file)) fail(`config file ${file} does not exist`);
  if (/\.(c|m)?ts$/.test(file)) {
    const { tsImport } = await import('tsx/esm/api');
    const module = (await tsImport(new URL(`file://${file}`).href, import.meta.url)) as { default?: unknown };
    return module.default;
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    fail(`config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

function sinceMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const relative = parseDuration(value);
  if (relative !== undefined) return Date.now() - relative;
  const absolute = Date.parse(value);
  if (Number.isNaN(absolute)) fail(`--since takes an ISO date (2026-11-01T00:00:00Z) or a duration (24h), got "${value}"`);
  return absolute;
}

async function collector(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' }, host: { type: 'string' }, 'data-dir': { type: 'string' }, 'write-key': { type: 'string', multiple: true },
      config: { type: 'string' }, nats: { type: 'string' }, 'log-level': { type: 'string' }, 'rate-limit': { type: 'string' }, workers: { type: 'string' },
      mode: { type: 'string' }, postgres: { type: 'string' }, redis: { type: 'string' }, partitions: { type: 'string' },
    },
  });
  if (values.mode !== undefined && values.mode !== 'single' && values.mode !== 'cluster') fail(`--mode takes "single" (default) or "cluster", got "${values.mode}"`);
  const clusterMode = values.mode === 'cluster';
  const fromFile = values.config ? ((await readConfigFile(values.config)) as CollectorConfigInput) : undefined;
  const input: Record<string, unknown> = { ...fromFile };
  // Paths in a config file are relative to the file, as people read them; flags are relative to the shell.
  if (values.config && typeof fromFile?.dataDir === 'string') input.dataDir = resolve(dirname(resolve(values.config)), fromFile.dataDir);
  if (values.port !== undefined) input.port = Number(values.port);
  if (values.host !== undefined) input.host = values.host;
  if (values['data-dir'] !== undefined) input.dataDir = values['data-dir'];
  if (values['write-key']?.length) input.sources = [...((fromFile?.sources as unknown[]) ?? []), { id: fromFile?.sources?.length ? 'cli' : 'default', writeKeys: values['write-key'] }];
  if (clusterMode) input.cluster = clusterInput(fromFile?.cluster, values);
  else if (values.postgres !== undefined || values.redis !== undefined) fail('--postgres and --redis belong to cluster mode: add --mode cluster');
  if (values.nats !== undefined && !clusterMode) input.sinks = { ...(input.sinks as object), jetstream: { ...((input.sinks as { jetstream?: object })?.jetstream ?? {}), servers: values.nats } };
  if (values['log-level'] !== undefined) input.log = { level: values['log-level'] };
  if (values['rate-limit'] !== undefined) {
    const perSecond = Number(values['rate-limit']);
    if (!(perSecond > 0)) fail(`--rate-limit takes requests per second per source, e.g. 5000; got "${values['rate-limit']}"`);
    input.sources = (input.sources as Array<Record<string, unknown>> | undefined)?.map((source) => ({ ...source, rateLimit: { perSecond, burst: perSecond * 2 } }));
  }
  if (input.sources === undefined) fail('no source configured: pass --write-key KEY, or --config FILE with "sources"');
  let config;
  try {
    config = parseCollectorConfig(input, values.config ?? 'the command line');
  } catch (error) {
    fail(isTailorError(error) ? error.message.replace(/^\[tailor\] /, '') : String(error));
  }
  const logger = pino({ level: config.log.level, base: { service: 'tailor-collector' } });
  const configDir = values.config ? dirname(resolve(values.config)) : process.cwd();
  if (clusterMode) {
    if (values.workers !== undefined) fail('--workers does not apply to --mode cluster: run more collectors (they share nothing local)');
    const { startClusterCollector } = await import('./cluster/cluster-collector');
    const running = await startClusterCollector(config, { logger, configDir });
    process.stderr.write(`tailor collector (cluster mode) listening on ${running.url}\n`);
    return stopOnSignals(running, logger);
  }
  const workers = values.workers === 'auto' ? availableParallelism() : Number(values.workers ?? 1);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) fail(`--workers takes a number from 1 to 64 or "auto", got "${values.workers}"`);
  if (isClusterWorker()) return runClusterWorker(config, { workers: clusterWorkerCount(), logger, configDir });
  let running: { close(): Promise<void> };
  if (workers > 1) {
    running = await runClusterPrimary(config, {
      workers,
      logger,
      configDir,
      onListening: (url) => process.stderr.write(`tailor collector listening on ${url} (${workers} workers, data in ${resolve(config.dataDir)})\n`),
    });
  } else {
    const single = await startCollector(config, { logger, configDir });
    process.stderr.write(`tailor collector listening on ${single.url} (data in ${resolve(config.dataDir)})\n`);
    running = single;
  }
  stopOnSignals(running, logger);
}

/** The cluster section from a config file's and the command line's values (flags win). */
function clusterInput(fromFile: unknown, values: { nats?: string; postgres?: string; redis?: string; partitions?: string }): Record<string, unknown> {
  const cluster: Record<string, unknown> = { ...(typeof fromFile === 'object' && fromFile !== null ? fromFile : {}) };
  if (values.nats !== undefined) cluster.nats = values.nats;
  if (values.postgres !== undefined) cluster.postgres = values.postgres;
  if (values.redis !== undefined) cluster.redis = values.redis;
  if (values.partitions !== undefined) {
    const partitions = Number(values.partitions);
    if (!Number.isInteger(partitions) || partitions < 1) fail(`--partitions takes a whole number of partitions, e.g. 16; got "${values.partitions}"`);
    cluster.partitions = partitions;
  }
  if (cluster.nats === undefined) fail('cluster mode needs --nats nats://host:4222 (or "cluster.nats" in the config)');
  if (cluster.postgres === undefined) fail('cluster mode needs --postgres postgres://user@host:5432/db (or "cluster.postgres" in the config)');
  return cluster;
}

function stopOnSignals(running: { close(): Promise<void> }, logger: { info(o: object, m: string): void; error(o: object, m: string): void }): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function processor(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' }, nats: { type: 'string' }, postgres: { type: 'string' }, redis: { type: 'string' }, partitions: { type: 'string' },
      port: { type: 'string' }, host: { type: 'string' }, 'log-level': { type: 'string' }, 'batch-size': { type: 'string' },
    },
  });
  const fromFile = values.config ? ((await readConfigFile(values.config)) as CollectorConfigInput) : undefined;
  // A processor reads the collector config for its cluster, identity and dedup settings; it serves no source.
  const input: Record<string, unknown> = { ...fromFile };
  input.cluster = clusterInput(fromFile?.cluster, values);
  if (values['log-level'] !== undefined) input.log = { level: values['log-level'] };
  let config;
  try {
    config = parseProcessorConfig(input, values.config ?? 'the command line');
  } catch (error) {
    fail(isTailorError(error) ? error.message.replace(/^\[tailor\] /, '') : String(error));
  }
  const port = values.port === undefined ? 9464 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`--port takes a port number (0 picks a free one), got "${values.port}"`);
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 10_000)) fail(`--batch-size takes 1 to 10000 events, got "${values['batch-size']}"`);
  const logger = pino({ level: config.log.level, base: { service: 'tailor-processor' } });
  const { startProcessor } = await import('./cluster/processor');
  const running = await startProcessor({
    cluster: config.cluster,
    identity: config.identity,
    dedupWindowMs: config.dedupWindow,
    logger,
    port,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(batchSize === undefined ? {} : { batchSize }),
  });
  process.stderr.write(`tailor processor listening on ${running.url} (/metrics, /healthz; partitions ${running.partitions().join(',') || 'none yet'}${running.projecting() ? '; holds the projector lease' : ''})\n`);
  stopOnSignals(running, logger);
}

async function exportEvents(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' }, since: { type: 'string' }, source: { type: 'string' }, out: { type: 'string' } } });
  if (!values['data-dir']) fail('export needs --data-dir DIR (the collector\'s data directory)');
  if (!existsSync(values['data-dir'])) fail(`--data-dir ${values['data-dir']} does not exist`);
  const store = createLmdbStore({ dataDir: values['data-dir'] });
  const out: NodeJS.WritableStream = values.out ? createWriteStream(values.out) : process.stdout;
  const since = sinceMs(values.since);
  let count = 0;
  for (const stored of store.scan({ ...(since === undefined ? {} : { sinceMs: since }), ...(values.source ? { sourceId: values.source } : {}) })) {
    const line = `${JSON.stringify({ seq: stored.seq, sourceId: stored.sourceId, ...stored.event })}\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    count++;
  }
  if (values.out) await new Promise<void>((resolve) => out.end(() => resolve()));
  await store.close();
  process.stderr.write(`exported ${count} events\n`);
}

async function replay(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { 'data-dir': { type: 'string' }, nats: { type: 'string' }, stream: { type: 'string' }, 'subject-prefix': { type: 'string' }, since: { type: 'string' }, source: { type: 'string' } },
  });
  if (!values['data-dir']) fail('replay needs --data-dir DIR');
  if (!values.nats) fail('replay needs --nats nats://host:4222 (the JetStream server to re-send to)');
  const store = createLmdbStore({ dataDir: values['data-dir'] });
  const prefix = values['subject-prefix'] ?? 'tailor.events';
  const sink = createJetStreamSink({
    servers: values.nats,
    stream: values.stream ?? 'TAILOR_EVENTS',
    subjects: [`${prefix}.>`],
    subject: (stored) => `${prefix}.${subjectToken(stored.sourceId)}.${stored.event.type}`,
  });
  const since = sinceMs(values.since);
  const filter = { ...(since === undefined ? {} : { sinceMs: since }), ...(values.source ? { sourceId: values.source } : {}) };
  let total = 0;
  for (const _ of store.scan(filter)) total++;
  const progress = createProgress('replay', total);
  let batch = [];
  try {
    for (const stored of store.scan(filter)) {
      batch.push(stored);
      if (batch.length === 500) {
        await sink.send(batch);
        progress.tick(batch.length);
        batch = [];
      }
    }
    if (batch.length > 0) {
      await sink.send(batch);
      progress.tick(batch.length);
    }
    progress.finish();
    process.stderr.write(`replayed ${total} events to stream ${values.stream ?? 'TAILOR_EVENTS'}\n`);
  } finally {
    await sink.close();
    await store.close();
  }
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'collector':
      return collector(rest);
    case 'processor':
      return processor(rest);
    case 'export':
      return exportEvents(rest);
    case 'replay':
      return replay(rest);
    case 'resolve': {
      const { runResolveCommand } = await import('./resolve/command');
      process.exitCode = await runResolveCommand(rest);
      return;
    }
    case 'import': {
      const { runImportCommand } = await import('./import/command');
      process.exitCode = await runImportCommand(rest);
      return;
    }
    case 'train': {
      const { runTrainCommand } = await import('./training/command');
      process.exitCode = await runTrainCommand(rest);
      return;
    }
    case 'report': {
      const { runReportCommand } = await import('./reports/command');
      process.exitCode = await runReportCommand(rest);
      return;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return;
    default:
      fail(`unknown command "${command}"\n\n${HELP}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`tailor: ${isTailorError(error) ? error.message.replace(/^\[tailor\] /, '') : (error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
