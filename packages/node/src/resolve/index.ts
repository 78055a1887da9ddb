export { runResolveCommand, type CommandIo } from './command';
export { RESOLVE_HELP } from './help';
export { createCsvParser, type CsvParser, type CsvParserOptions, type CsvRowResult } from './csv';
export { formatOfPath, readInput, type InputFormat, type InputItem, type ReadInputOptions, type RecordValues } from './input';
export {
  DEFAULT_DETERMINISTIC,
  IDENTIFIER_FIELDS,
  RESOLVE_FIELDS,
  checkColumns,
  parseDeterministic,
  parseFieldMap,
  type FieldMap,
  type IdentifierField,
  type ResolveField,
} from './mapping';
export { createNdjsonParser, type NdjsonParser, type NdjsonRowResult } from './ndjson';
export { formatMerge, formatSummary } from './report';
export { CANNOT_LINK, createJoinFilter, type JoinFilter } from './join-filter';
export { createRecordGraph, profileIdOf, type RecordGraph } from './record-graph';
export { resolveFile } from './resolve';
export type {
  ExplainedMerge,
  GuardCounts,
  ProgressBar,
  ResolveHooks,
  ResolveOptions,
  ResolveResult,
  ResolveSummary,
} from './types';
