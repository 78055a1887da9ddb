import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createLmdbStore } from '../src/collector/lmdb-store';
import type { AppendResult, IngestedEvent } from '../src/collector/types';
import { importFile, type ImportFileOptions, type ImportTarget } from '../src/import/import-file';
import { compileMapping, type CompiledMapping } from '../src/import/mapping';
import { readRows, type InputRow } from '../src/import/row-reader';
import { createTimestampParser } from '../src/import/timestamp';

const FIXTURES = fileURLToPath(new URL('./fixtures/import/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tailor-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const fresh = (name: string) => join(dir, `${++counter}-${name}`);

function compiled(mapping: unknown): CompiledMapping {
  const result = compileMapping(mapping);
  if (!result.ok) throw new Error(result.issues.join('\n'));
  return result.compiled;
}

async function collect(rows: AsyncIterable<InputRow>): Promise<InputRow[]> {
  const out: InputRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/** An in-memory store with the LMDB store's dedup-by-messageId semantics. */
function memoryTarget(): ImportTarget & { readonly events: Map<string, Record<string, unknown>>; appends: number } {
  const events = new Map<string, Record<string, unknown>>();
  return {
    events,
    appends: 0,
    async append(_source: string, batch: readonly IngestedEvent[]): Promise<AppendResult> {
      this.appends++;
      const seqs = batch.map(({ messageId, event }) => {
        if (events.has(messageId)) return null;
        events.set(messageId, event as unknown as Record<string, unknown>);
        return events.size;
      });
      const stored = seqs.filter((seq) => seq !== null).length;
      return { seqs, stored, duplicates: batch.length - stored };
    },
  };
}

const ORDERS = join(FIXTURES, 'orders.csv');
const MAPPING_TEXT = readFileSync(join(FIXTURES, 'mapping.json'), 'utf8');

function options(overrides: Partial<ImportFileOptions> & Pick<ImportFileOptions, 'target'>): ImportFileOptions {
  return {
    input: ORDERS,
    format: 'csv',
    mapping: compiled(JSON.parse(MAPPING_TEXT)),
    mappingText: MAPPING_TEXT,
    source: 'shop',
    checkpointPath: fresh('checkpoint.json'),
    rejectsPath: fresh('rejected.csv'),
    now: () => Date.parse('2026-02-01T00:00:00Z'),
    ...overrides,
  };
}

describe('timestamps', () => {
  it('reads ISO with and without offsets, epochs and patterns at the given UTC offset', () => {
    const iso = createTimestampParser('iso', '+02:00');
    const pattern = createTimestampParser('DD/MM/YYYY H:mm', '-0500');
    const seconds = createTimestampParser('epoch_s');
    if (typeof iso === 'string' || typeof pattern === 'string' || typeof seconds === 'string') throw new Error('parsers');
    expect(iso('2026-01-05T10:00:00Z')).toEqual({ ok: true, ms: Date.UTC(2026, 0, 5, 10) });
    expect(iso('2026-01-05T10:00:00')).toEqual({ ok: true, ms: Date.UTC(2026, 0, 5, 8) });
    expect(iso('2026-01-05')).toEqual({ ok: true, ms: Date.UTC(2026, 0, 4, 22) });
    expect(pattern('05/01/2026 9:30')).toEqual({ ok: true, ms: Date.UTC(2026, 0, 5, 14, 30) });
    expect(seconds('1767607200')).toEqual({ ok: true, ms: 1_767_607_200_000 });
    expect(pattern('31/02/2026 9:30')).toMatchObject({ ok: false, reason: expect.stringContaining('not a valid date') });
    expect(iso('yesterday')).toMatchObject({ ok: false, reason: expect.stringContaining('not an ISO 8601 time') });
    expect(createTimestampParser('HH:mm')).toContain('has no year');
    expect(createTimestampParser('iso', 'CET')).toContain('utcOffset');
  });
});

describe('mapping files', () => {
  it('reports every problem with its path', () => {
    const result = compileMapping({ timestamp: { column: 'at', format: 'MM-DD' }, identity: {}, properties: { total: { column: 'x', type: 'money' } } });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.join('\n')).toMatch(/identity: map at least one identifier[\s\S]*properties\.total/);
    const noEvent = compileMapping({ timestamp: { column: 'at' }, identity: { userId: 'id' } });
    expect(!noEvent.ok && noEvent.issues).toEqual(['event: a track mapping needs "event" (a name, or { "column" })']);
  });
});

describe('row reader', () => {
  const line = fc.constantFrom('\n', '\r\n', '\r');
  const field = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('a,b', 'say "hi"', 'two\nlines', 'x\r\ny', 'café ☕', ''));
  const quote = (value: string) => (/[",\r\n]/.test(value) || value === '' ? `"${value.replaceAll('"', '""')}"` : value);

  it('restarts at any row offset and reads the same rows again (CSV, any line breaks, tiny chunks)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(field, field), { minLength: 1, maxLength: 12 }), line, fc.integer({ min: 1, max: 9 }), async (rows, eol, chunkBytes) => {
        const path = fresh('rows.csv');
        writeFileSync(path, `\ufeffa,b${eol}${rows.map(([a, b]) => `${quote(a)},${quote(b)}`).join(eol)}${eol}`);
        const all = await collect(readRows(path, { format: 'csv', chunkBytes }));
        expect(all.map((row) => (row.ok ? [row.values.a, row.values.b] : row.reason))).toEqual(rows);
        for (let k = 0; k < all.length; k++) {
          const from = all[k] as InputRow;
          const again = await collect(readRows(path, { format: 'csv', offset: from.offset, line: from.line, header: ['a', 'b'], chunkBytes }));
          expect(again).toEqual(all.slice(k));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('restarts NDJSON at any line and reports bad lines with their number', async () => {
    const path = fresh('rows.ndjson');
    writeFileSync(path, '{"id":1}\n\n{"id":"é"}\r\nnot json\n[1]\n{"id":3}');
    const all = await collect(readRows(path, { format: 'ndjson', chunkBytes: 3 }));
    expect(all.map((row) => [row.line, row.ok ? row.values.id : row.reason.slice(0, 12)])).toEqual([
      [1, 1],
      [3, 'é'],
      [4, 'invalid JSON'],
      [5, 'the line is '],
      [6, 3],
    ]);
    for (let k = 0; k < all.length; k++) {
      const from = all[k] as InputRow;
      expect(await collect(readRows(path, { format: 'ndjson', offset: from.offset, line: from.line }))).toEqual(all.slice(k));
    }
  });
});

describe('importing orders', () => {
  it('groups order lines into products[], validates, and reports rejected rows with line and reason', async () => {
    const target = memoryTarget();
    const rejected: Array<[number, number, string]> = [];
    const opts = options({ target, hooks: { rejected: (line, rows, reason) => rejected.push([line, rows, reason]) } });
    const result = await importFile(opts);
    if (!result.ok) throw new Error(result.reason);
    expect(result.summary).toMatchObject({ rows: 11, events: 4, duplicates: 0, rejectedRows: 6, alreadyDone: false });
    const events = [...target.events.values()];
    const byOrder = new Map(events.map((event) => [(event.properties as { order_id: string }).order_id, event]));
    expect([...byOrder.keys()]).toEqual(['A-1001', 'A-1002', 'A-1006', 'A-1008']);
    expect(byOrder.get('A-1001')).toMatchObject({
      type: 'track',
      event: 'Order Completed',
      userId: 'c-1',
      timestamp: '2025-11-02T09:15:00.000Z',
      context: { channel: 'web', traits: { email: 'ann@example.com' }, library: { name: 'tailor-import' } },
      properties: {
        revenue: 129.8,
        currency: 'EUR',
        products: [
          { sku: 'SKU-1', name: "Trail Shoe, Men's", category: 'Shoes', price: 89.9, quantity: 1 },
          { sku: 'SKU-7', name: 'Socks', category: 'Accessories', price: 19.95, quantity: 2 },
        ],
      },
    });
    // A POS sale with only a loyalty card: a stable anonymousId derived from it, the card in context.
    expect(byOrder.get('A-1002')).toMatchObject({ anonymousId: expect.stringMatching(/^import-[0-9a-f]{24}$/), context: { loyaltyId: 'L-555', channel: 'pos' } });
    expect((byOrder.get('A-1006')?.properties as { products: Array<{ name: string }> }).products[0]?.name).toBe('Multi\r\nline note');
    expect(rejected).toEqual([
      [5, 2, 'line 5: column "unit_price": "twelve" is not a number'],
      [7, 1, 'column "ordered_at": "2025-13-04 09:00:00" is not a valid date and time'],
      [8, 1, 'no identifier: every identity column of the mapping is empty'],
      [11, 1, 'the row has 11 fields, the header has 12'],
      [13, 1, 'the rows of order_id "A-1001" are not consecutive (it also starts at line 2); sort the file by "order_id"'],
    ]);
    const report = readFileSync(opts.rejectsPath, 'utf8').trimEnd().split('\n');
    expect(report[0]).toBe('line,rows,reason');
    expect(report.slice(1).map((row) => row.split(',').slice(0, 2).join(','))).toEqual(['5,2', '7,1', '8,1', '11,1', '13,1']);
  });

  it('gives the same messageIds on a re-run, so nothing is stored twice', async () => {
    const target = memoryTarget();
    const first = await importFile(options({ target }));
    const second = await importFile(options({ target }));
    expect(first.ok && first.summary.events).toBe(4);
    expect(second.ok && [second.summary.events, second.summary.duplicates]).toEqual([0, 4]);
    expect(target.events.size).toBe(4);
  });

  it('rejects a mapping column the file does not have before reading any row', async () => {
    const mapping = compiled({ ...JSON.parse(MAPPING_TEXT), identity: { userId: 'client' } });
    const result = await importFile(options({ target: memoryTarget(), mapping }));
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('the mapping reads column(s) "client" that') });
  });

  it('resumes after a crash between a durable append and its checkpoint: every order exactly once', async () => {
    const input = fresh('many.csv');
    const lines = ['order_id,at,customer,sku,price'];
    for (let order = 0; order < 300; order++) {
      for (let k = 0; k <= order % 3; k++) lines.push(`O-${order},2025-10-01T10:00:00Z,c-${order % 40},S-${k},${order % 17 === 0 && k === 1 ? 'bad' : '5.5'}`);
    }
    writeFileSync(input, `${lines.join('\n')}\n`);
    const mappingText = JSON.stringify({ event: 'Order Completed', timestamp: { column: 'at' }, identity: { userId: 'customer' }, groupBy: 'order_id', properties: { order_id: 'order_id' }, products: { sku: 'sku', price: { column: 'price', type: 'number' } } });
    const base = options({ target: memoryTarget(), input, mapping: compiled(JSON.parse(mappingText)), mappingText, batchSize: 25 });
    const target = memoryTarget();
    const crashing: ImportTarget = {
      async append(source, batch, receivedAt) {
        const result = await target.append(source, batch, receivedAt);
        // Crash after the fourth batch is durable but before its checkpoint is written.
        if (target.appends === 4) throw new Error('killed');
        return result;
      },
    };
    await expect(importFile({ ...base, target: crashing })).rejects.toThrow('killed');
    const beforeCrash = target.events.size;
    const checkpointed = (JSON.parse(readFileSync(base.checkpointPath, 'utf8')) as { events: number }).events;
    expect(beforeCrash).toBeGreaterThan(checkpointed);
    const resumed = await importFile({ ...base, target, resume: true });
    if (!resumed.ok) throw new Error(resumed.reason);
    const badOrders = Array.from({ length: 300 }, (_, order) => order).filter((order) => order % 17 === 0 && order % 3 >= 1);
    const good = 300 - badOrders.length;
    expect(target.events.size).toBe(good);
    // The batch stored but not checkpointed is read again and found already stored: nothing twice, nothing lost.
    expect(resumed.summary).toMatchObject({
      rows: lines.length - 1,
      events: good - (beforeCrash - checkpointed),
      duplicates: beforeCrash - checkpointed,
      rejectedRows: badOrders.reduce((sum, order) => sum + (order % 3) + 1, 0),
    });
    expect(resumed.summary.startedAtLine).toBeGreaterThan(100);
    const products = [...target.events.values()].reduce((sum, event) => sum + (event.properties as { products: unknown[] }).products.length, 0);
    expect(products).toBe(lines.length - 1 - resumed.summary.rejectedRows);
    // The report lists each rejected order once, although the crashed run had found some of them.
    expect(readFileSync(base.rejectsPath, 'utf8').trimEnd().split('\n').length - 1).toBe(badOrders.length);
    const again = await importFile({ ...base, target, resume: true });
    expect(again.ok && again.summary.alreadyDone).toBe(true);
  });

  it('writes into the real LMDB store, where a second import is all duplicates', async () => {
    const dataDir = fresh('lmdb');
    const store = createLmdbStore({ dataDir, dedupWindowMs: Number.POSITIVE_INFINITY });
    try {
      const first = await importFile(options({ target: store }));
      const second = await importFile(options({ target: store }));
      expect(first.ok && first.summary.events).toBe(4);
      expect(second.ok && second.summary.duplicates).toBe(4);
      const stored = [...store.scan({ sourceId: 'shop' })];
      expect(stored.map((entry) => (entry.event.properties as { order_id: string }).order_id)).toEqual(['A-1001', 'A-1002', 'A-1006', 'A-1008']);
      expect(stored.every((entry) => entry.event.receivedAt === '2026-02-01T00:00:00.000Z')).toBe(true);
    } finally {
      await store.close();
    }
  });
});
