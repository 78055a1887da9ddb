import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import * as z from 'zod';

/**
 * Where an import stands, written after each durable batch: resuming at `offset` (a row start) re-reads
 * only rows whose events may not be stored yet, and those carry the same messageIds, so the store drops
 * any that were. `rejectsBytes` is the size of the rejected-rows report at that point: a resumed run cuts
 * the report back to it, so no rejection is listed twice either.
 */
export const checkpointSchema = z.object({
  v: z.literal(1),
  source: z.string(),
  input: z.string(),
  /** SHA-256 of the input's first 64 KiB and of the mapping: a different file or mapping cannot resume. */
  fingerprint: z.string(),
  mappingHash: z.string(),
  offset: z.number().int().min(0),
  line: z.number().int().min(1),
  rows: z.number().int().min(0),
  events: z.number().int().min(0),
  duplicates: z.number().int().min(0),
  rejectedRows: z.number().int().min(0),
  rejectsBytes: z.number().int().min(0),
  done: z.boolean(),
  updatedAt: z.string(),
});

export type ImportCheckpoint = z.output<typeof checkpointSchema>;

export type ReadCheckpointResult = { readonly ok: true; readonly checkpoint: ImportCheckpoint | undefined } | { readonly ok: false; readonly reason: string };

export async function readCheckpoint(path: string): Promise<ReadCheckpointResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, checkpoint: undefined };
    return { ok: false, reason: `cannot read the checkpoint ${path}: ${(error as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: `the checkpoint ${path} is not valid JSON; delete it to start over` };
  }
  const parsed = checkpointSchema.safeParse(json);
  return parsed.success ? { ok: true, checkpoint: parsed.data } : { ok: false, reason: `the checkpoint ${path} is not a Tailor import checkpoint; delete it to start over` };
}

/** Writes the checkpoint durably: a synced temporary file renamed over the old one. */
export async function writeCheckpoint(path: string, checkpoint: ImportCheckpoint): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, `${JSON.stringify(checkpoint)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  await rename(temporary, path);
}

/** SHA-256 over the first 64 KiB of a file and its mapping text: what a checkpoint must match to resume. */
export function fingerprintInput(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(1 << 16);
    const length = readSync(fd, head, 0, head.length, 0);
    return createHash('sha256').update(head.subarray(0, length)).digest('hex');
  } finally {
    closeSync(fd);
  }
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
