export { buildEvent, type BuiltEvent, type EventUnit } from './build-event';
export { checkpointSchema, readCheckpoint, writeCheckpoint, type ImportCheckpoint, type ReadCheckpointResult } from './checkpoint';
export { runImportCommand } from './command';
export { IMPORT_HELP } from './help';
export {
  importFile,
  type ImportFileOptions,
  type ImportFileResult,
  type ImportHooks,
  type ImportSummary,
  type ImportTarget,
} from './import-file';
export {
  compileMapping,
  importMappingSchema,
  valueAt,
  type CompiledMapping,
  type CompileMappingResult,
  type ImportMapping,
  type RowValues,
} from './mapping';
export { readCsvHeader, readRows, type InputRow, type ReadRowsOptions } from './row-reader';
export { createTimestampParser, parseUtcOffset, type TimestampFormat, type TimestampParser } from './timestamp';
