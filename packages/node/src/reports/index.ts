export { runReportCommand, type CommandIo } from './command';
export { formatDriftReport, getDriftExitCode, modelDrift, type ModelDriftResult } from './drift';
export {
  DEFAULT_CALIBRATION_THRESHOLDS,
  cohortCalibration,
  fillModelRow,
  formatCalibrationReport,
  type CalibrationReport,
  type CalibrationThresholds,
  type CohortCalibration,
  type CohortCalibrationOptions,
  type CohortStatus,
} from './calibration';
export {
  OFFER_CONVERTED_EVENT,
  ORDER_EVENT,
  formatExperimentReport,
  reportExperiments,
  type ExperimentMetric,
  type ExperimentReadout,
  type ExperimentReportOptions,
} from './experiments';
export { formatOpeReport, reportOpe, toOutcomeRecord, weightsPolicySchema, type CandidatePolicy, type OpeReport } from './ope';
export { REPORT_HELP } from './help';
