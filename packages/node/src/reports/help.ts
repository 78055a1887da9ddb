/** The `tailor report` part of `tailor help` (its own module, so the help does not load the reports). */
export const REPORT_HELP = `  tailor report experiments --data-dir DIR --source ID [--metric conversion|revenue] [--since 2026-01-01|30d]
               [--config decisions.json] [--pre-period 28d] [--json]
      Per experiment (and the global holdout): exposures from the decision log, the sample-ratio-mismatch χ²
      check (alarm at p < 0.001; --config gives the configured weights), conversion or revenue per unit after
      its first exposure (Order Completed by userId/anonymousId/profile, Offer Converted by decision_id), the
      delta-method relative lift with fixed and always-valid intervals, CUPED on the pre-period when there is one.
  tailor report ope --data-dir DIR --source ID --policy greedy|uniform|policy.json [--reward convert|click|value]
               [--since T] [--clip 20] [--json]
      IPS, self-normalized IPS and doubly robust estimates of a candidate policy's reward per shown slot, from
      the decision log's selection probabilities and the Offer Clicked/Converted events. policy.json holds
      {"weights": {"<offerId>": w}}: offers chosen in proportion to w.
  tailor report drift --model model.onnx --data-dir DIR [--source ID] [--since 30d] [--at T] [--warn 0.1] [--alert 0.25]
               [--cohorts 4] [--ece-warn 0.05] [--ece-alert 0.1] [--json]
      PSI and KS of each model input and of its score, for the people active since --since with features
      folded at --at (default now), against the reference bins stored in the model by tailor train; and the
      model's calibration (mean predicted vs observed rate, ECE, Brier, AUC) on the last --cohorts weekly
      cutoffs after its training window whose label has matured by --at (purchase-Nd labels).
      Exits 3 when a feature, the score or a cohort's ECE is at the alert level.
`;
