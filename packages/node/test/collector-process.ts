import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnListening, type ListeningProcess } from '../../test-utils/src/spawn-listening';

export const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export type CollectorProcess = ListeningProcess;

/**
 * Starts `tailor collector` as a real child process from the TypeScript sources and resolves once it
 * says it is listening. Rejects with its output if it exits first or does not start in time.
 */
export function spawnCollector(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; detached?: boolean } = {}): Promise<CollectorProcess> {
  return spawnTailor('collector', args, options);
}

/** Starts a long-running `tailor <command>` (collector, processor) that announces `listening on http://…`. */
export function spawnTailor(command: 'collector' | 'processor', args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; detached?: boolean } = {}): Promise<CollectorProcess> {
  return spawnListening(process.execPath, ['--conditions=tailor-source', '--import', 'tsx', CLI, command, '--log-level', 'warn', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    // Its own process group, so a test can SIGKILL a primary together with its workers.
    detached: options.detached ?? false,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}

/** What a finished CLI run printed, and its exit code. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `tailor <args>` to its end as a real child process, from the TypeScript sources. Asynchronous on purpose:
 * a test process that blocked on it (execFileSync) would stall an in-process collector's store transaction.
 */
export function runTailor(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=tailor-source', '--import', 'tsx', CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** SIGKILLs a detached process's whole group (a cluster primary and its workers) and waits for the leader. */
export function killGroupHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
    child.once('exit', () => resolve());
    process.kill(-child.pid, 'SIGKILL');
  });
}

/** Pids of live processes whose command line contains `needle` (Linux /proc). */
export function processesMatching(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
