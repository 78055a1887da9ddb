import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runResolveCommand } from './command';

const CUSTOMERS = new URL('../../test/fixtures/resolve/customers.csv', import.meta.url).pathname;

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const code = await runResolveCommand(args, { stdout: new PassThrough(), stderr: stderr as unknown as NodeJS.WriteStream });
  return { code, stderr: text };
}

describe('runResolveCommand usage errors', () => {
  it.each([
    [['--map', 'email=email', '--out', '/tmp/x.csv'], '--input FILE is required'],
    [['--input', '/nonexistent/customers.csv', '--map', 'email=email', '--out', '/tmp/x.csv'], '--input /nonexistent/customers.csv is not a file'],
    [['--input', CUSTOMERS, '--map', 'email=email'], '--out FILE is required'],
    [['--input', CUSTOMERS, '--map', 'email=email', '--out', CUSTOMERS], '--out must not be the input file'],
    [['--input', CUSTOMERS, '--map', 'email=email', '--out', '/nonexistent/dir/x.csv'], 'the directory /nonexistent/dir does not exist'],
    [['--input', CUSTOMERS, '--out', '/tmp/x.csv'], '--map is required'],
    [['--input', CUSTOMERS, '--map', 'email=email', '--out', '/tmp/x.csv', '--threshold', '1.5'], '--threshold takes a match probability between 0 and 1, e.g. 0.95; got "1.5"'],
    [['--input', CUSTOMERS, '--map', 'email=email', '--out', '/tmp/x.csv', '--explain', 'some'], '--explain takes a number of merges to explain'],
    [['--input', CUSTOMERS, '--map', 'email=email', '--out', '/tmp/x.csv', '--format', 'xlsx'], '--format is csv or ndjson; got "xlsx"'],
    [['--input', CUSTOMERS, '--map', 'email=email', '--out', '/tmp/x.csv', '--country-code', 'UK'], '--country-code takes a calling code such as 44 or 1'],
    [['--input', CUSTOMERS, '--map', 'email=email', '--out', '/tmp/x.csv', '--deterministic', 'surname'], '--deterministic names "surname", which is not an identifier type'],
    [['--input', CUSTOMERS, '--map', 'email=email', '--out', '/tmp/x.csv', '--colour'], "Unknown option '--colour'"],
  ])('%j → exit 2: %s', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
