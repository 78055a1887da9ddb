/** The performance budgets of DESIGN.md, in one place for the benchmarks and the bundle test. */
export const BUDGETS = {
  /** core + browser entry, min + gzip, without lazy inference. */
  browserEntryBytes: 12 * 1024,
  /** core + browser with on-device decisions. */
  browserWithDecisionsBytes: 20 * 1024,
} as const;
