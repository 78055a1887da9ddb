import { parseArgs, type ParseArgsConfig } from 'node:util';

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** Where a CLI command writes: results to stdout, progress and messages to stderr (tests pass their own). */
export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream;
}

export const PROCESS_IO: CommandIo = { stdout: process.stdout, stderr: process.stderr };

/** Exit code of a usage error (a wrong or missing flag). */
export const USAGE_EXIT = 2;

/**
 * The usage-error reporter of `tailor <command>`: writes the message with a pointer to the help and returns
 * the exit code, so a command can `return usage('--input FILE is required')`.
 */
export function commandUsage(command: string, io: Pick<CommandIo, 'stderr'>): (message: string) => number {
  return (message) => {
    io.stderr.write(`tailor ${command}: ${message}\n(see "tailor help")\n`);
    return USAGE_EXIT;
  };
}

type FlagValues<T extends FlagOptions> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>>['values'];

/**
 * Parses a command's flags strictly (no positionals, no unknown flags); an error comes back as the message
 * parseArgs wrote ("Unknown option '--inptu'"), for the command's usage reporter.
 *
 * @example
 * const parsed = parseFlags(args, { input: { type: 'string' } });
 * if ('error' in parsed) return usage(parsed.error);
 */
export function parseFlags<const T extends FlagOptions>(args: readonly string[], options: T): { readonly values: FlagValues<T> } | { readonly error: string } {
  try {
    return { values: parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
