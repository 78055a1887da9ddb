/** The `tailor train` part of `tailor help` (its own module, so the help does not load the trainers). */
export const TRAIN_HELP = `  tailor train --data-dir DIR --source ID --label purchase-7d --model logistic|gbt --out models/
               [--since 2026-01-01|90d] [--until 2026-06-01] [--id NAME] [--step-days 7] [--seed 1]
               [--trees 100] [--depth 4] [--learning-rate 0.1] [--min-leaf 20] [--l2 1] [--no-calibration] [--promote]
      Trains a propensity model on the stored events of one source: people are resolved with the identity
      graph, features are computed point in time from the retail feature spec at weekly snapshots, labels are
      purchase-Nd (an order within N days) or offer-accept-Nd (Offer Converted after Offer Viewed, same
      decision_id). The latest snapshots are held out for validation; Platt scaling is fitted on a calibration
      fold and baked into the model. Prints AUC, log loss, Brier, ECE and lift over an RFM heuristic, and
      registers models/<id>/<version>/model.onnx + report.json (--promote marks it as the version to serve).
`;
