import { cpus, totalmem } from 'node:os';

/** One printed figure. `ratio` compares it with a baseline measured in the same run. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The baseline this figure is compared with, measured in the same run. */
  readonly baseline?: { readonly name: string; readonly value: number };
  /** value / baseline.value. */
  readonly ratio?: number;
  /** What DESIGN.md asks for, and whether this run met it. */
  readonly budget?: { readonly text: string; readonly met: boolean };
  readonly note?: string;
}

export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(): Promise<Figure[]>;
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model.trim() ?? 'unknown CPU'} × ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/**
 * Runs each candidate in interleaved rounds (A B C A B C …) so that a noisy neighbour hurts all of them
 * alike, and reports the median operations per second of each. `fn` returns how many operations it did.
 */
export async function compareThroughput(
  candidates: ReadonlyArray<{ readonly name: string; readonly fn: () => number }>,
  options: { rounds?: number; roundMs?: number } = {},
): Promise<Map<string, number>> {
  const rounds = options.rounds ?? 7;
  const roundMs = options.roundMs ?? 400;
  const samples = new Map<string, number[]>(candidates.map((c) => [c.name, []]));
  for (const candidate of candidates) for (let i = 0; i < 3; i++) candidate.fn(); // warm up the JIT
  for (let round = 0; round < rounds; round++) {
    for (const candidate of candidates) {
      globalThis.gc?.();
      let ops = 0;
      const start = process.hrtime.bigint();
      const deadline = start + BigInt(roundMs) * 1_000_000n;
      let now = start;
      while (now < deadline) {
        ops += candidate.fn();
        now = process.hrtime.bigint();
      }
      samples.get(candidate.name)?.push(ops / (Number(now - start) / 1e9));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return new Map([...samples].map(([name, values]) => [name, median(values)]));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function percentile(sortedValues: readonly number[], p: number): number {
  if (sortedValues.length === 0) return Number.NaN;
  const index = Math.min(sortedValues.length - 1, Math.ceil((p / 100) * sortedValues.length) - 1);
  return sortedValues[Math.max(0, index)] as number;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}
