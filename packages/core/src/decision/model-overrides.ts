import type { ExperimentAssignment, SyncScorer } from './types';

/*
 * Model rollout through experiments: a variation's `{ models: { from: to } }` makes offers scored by `from`
 * be scored by `to` for the people in it, and the decision says which model actually scored.
 */

/**
 * The model replacements the unit's experiment variations ask for: a variation whose value is
 * `{ "models": { "<modelId>": "<replacementModelId>" } }` scores the offers of `modelId` with the replacement.
 * A staged rollout is an experiment weighted e.g. 90/10 whose second variation overrides the model; an A/B
 * between model versions is the same at 50/50. When two experiments replace the same model, the first
 * assignment wins. Undefined (and nothing allocated) when no assignment overrides a model, which is the
 * common case on the hot path.
 *
 * @example
 * getModelOverrides([{ ...assignment, inExperiment: true, value: { models: { propensity: 'propensity-v2' } } }])
 * // → Map { 'propensity' => 'propensity-v2' }
 */
export function getModelOverrides(assignments: readonly ExperimentAssignment[] | undefined): ReadonlyMap<string, string> | undefined {
  if (assignments === undefined) return undefined;
  let overrides: Map<string, string> | undefined;
  for (let a = 0; a < assignments.length; a++) {
    const assignment = assignments[a] as ExperimentAssignment;
    const models = assignment.inExperiment ? modelsOf(assignment.value) : undefined;
    if (models === undefined) continue;
    for (const from in models) {
      if (!Object.hasOwn(models, from)) continue;
      const to = models[from];
      // Replacing a model with itself is no override at all: the decision must not change.
      if (typeof to !== 'string' || to.length === 0 || to === from || overrides?.has(from)) continue;
      (overrides ??= new Map()).set(from, to);
    }
  }
  return overrides;
}

function modelsOf(value: unknown): Readonly<Record<string, unknown>> | undefined {
  if (value === null || typeof value !== 'object' || !Object.hasOwn(value, 'models')) return undefined;
  const models = (value as { models?: unknown }).models;
  return models !== null && typeof models === 'object' && !Array.isArray(models) ? (models as Record<string, unknown>) : undefined;
}

/** The scorers with each overridden model id answered by its replacement (kept when the replacement is missing). */
export function withOverrides(scorers: ReadonlyMap<string, SyncScorer> | undefined, overrides: ReadonlyMap<string, string>): ReadonlyMap<string, SyncScorer> {
  const merged = new Map(scorers);
  for (const [from, to] of overrides) {
    const replacement = scorers?.get(to);
    if (replacement !== undefined) merged.set(from, replacement);
  }
  return merged;
}

/**
 * After scoring under overrides: the models list and reasons name the model that actually scored
 * (`model:<replacement>`, `model-override:<original>`), or say the replacement was missing
 * (`model-override-missing:<replacement>`, the original scored).
 */
export function noteOverrides(
  overrides: ReadonlyMap<string, string>,
  scorers: ReadonlyMap<string, SyncScorer> | undefined,
  notes: Map<string, string[]>,
  models: { id: string; version: string }[],
): void {
  for (const [from, to] of overrides) {
    const note = notes.get(from);
    if (note === undefined) continue; // no offer of this model was scored in this decision
    if (scorers?.get(to) === undefined) {
      notes.set(from, [...note, `model-override-missing:${to}`]);
      continue;
    }
    notes.set(from, [...note.map((reason) => (reason === `model:${from}` ? `model:${to}` : reason === `model-error:${from}` ? `model-error:${to}` : reason)), `model-override:${from}`]);
    const used = models.findIndex((model) => model.id === from);
    if (used < 0) continue;
    const version = (models[used] as { version: string }).version;
    if (models.some((model) => model.id === to)) models.splice(used, 1);
    else models[used] = { id: to, version };
  }
}
