import type { ExperimentAssignment } from '../decision/types';
import { chooseVariation, getBucket, getBucketRanges, isInNamespace } from './hashing';
import type {
  AssignExperimentsOptions,
  Experiment,
  ExperimentUnits,
  Holdout,
  StickyAssignments,
} from './types';

/** The variation keys of a holdout's two arms. */
export const HOLDOUT_VARIATIONS = ['holdout', 'exposed'] as const;

interface Unit {
  readonly attribute: string;
  readonly value: string;
}

/**
 * Assigns one unit to every experiment. A pure function of its inputs (plus the sticky documents it
 * is given, which it updates), so the browser, the Node client and the collector agree; it never throws.
 *
 * Per experiment, in this order (GrowthBook's, with the holdout added):
 * `forced` → `inactive` → `no-unit` → `holdout` → `sticky` → `namespace` → `condition` →
 * `not-in-coverage` → `assigned`. A sticky assignment skips targeting and coverage on purpose: once in a
 * variation, a unit stays there while weights, coverage or rules change, until `bucketVersion` is bumped.
 *
 * With a holdout, its own assignment comes first (`holdout` / `exposed`, for measuring the engine's lift);
 * a held-out unit gets `reason: 'holdout'` and no variation in every experiment, so it sees the default.
 *
 * @example
 * const sticky = {};
 * const [a] = assignExperiments(experiments, { profileId: 'p-1', anonymousId: 'a-9' }, { sticky });
 * a.reason; // 'assigned'; `sticky` now holds the assignment, save it with the profile
 */
export function assignExperiments(
  experiments: readonly Experiment[],
  units: ExperimentUnits,
  options: AssignExperimentsOptions = {},
): ExperimentAssignment[] {
  const assignments: ExperimentAssignment[] = [];
  let heldOut = false;
  if (options.holdout !== undefined) {
    const holdout = assignHoldout(options.holdout, units);
    heldOut = holdout.reason === 'holdout';
    assignments.push(holdout);
  }
  for (const experiment of experiments) {
    try {
      assignments.push(assignOne(experiment, units, options, heldOut));
    } catch {
      // A malformed experiment that slipped past parseExperiments, or a `matches` that threw.
      assignments.push(notIn(keyOf(experiment), attributeOf(experiment), '', 'invalid'));
    }
  }
  return assignments;
}

/**
 * Whether a unit is in the holdout, as an assignment of its own: variation 0 (`holdout`) or 1 (`exposed`).
 * @example assignHoldout({ key: 'global', fraction: 0.05, hashVersion: 2, hashAttribute: 'profileId' }, { profileId: 'p-1' })
 */
export function assignHoldout(holdout: Holdout, units: ExperimentUnits): ExperimentAssignment {
  const unit = resolveUnit(units, holdout.hashAttribute, holdout.fallbackAttribute);
  if (unit === undefined) return notIn(holdout.key, holdout.hashAttribute, '', 'no-unit');
  const n = getBucket(holdout.seed ?? holdout.key, unit.value, holdout.hashVersion);
  if (n === null) return notIn(holdout.key, unit.attribute, unit.value, 'invalid');
  const held = n < holdout.fraction;
  return {
    experimentKey: holdout.key,
    variationIndex: held ? 0 : 1,
    variationKey: HOLDOUT_VARIATIONS[held ? 0 : 1],
    hashAttribute: unit.attribute,
    hashValue: unit.value,
    inExperiment: true,
    reason: held ? 'holdout' : 'assigned',
  };
}

function assignOne(
  experiment: Experiment,
  units: ExperimentUnits,
  options: AssignExperimentsOptions,
  heldOut: boolean,
): ExperimentAssignment {
  const { key, variations } = experiment;
  const unit = resolveUnit(units, experiment.hashAttribute, experiment.fallbackAttribute);
  const attribute = unit?.attribute ?? experiment.hashAttribute;
  const value = unit?.value ?? '';

  if (variations.length < 2) return notIn(key, attribute, value, 'invalid');
  const forced = options.forced?.[key];
  if (forced !== undefined && Number.isInteger(forced) && forced >= 0 && forced < variations.length) {
    return inVariation(experiment, forced, attribute, value, 'forced');
  }
  if (!experiment.active) return notIn(key, attribute, value, 'inactive');
  if (unit === undefined) return notIn(key, attribute, value, 'no-unit');
  if (heldOut) return notIn(key, attribute, value, 'holdout');

  const stickyKey = `${key}__${experiment.bucketVersion}`;
  if (options.sticky !== undefined) {
    const remembered = findSticky(options.sticky, units, experiment, stickyKey);
    const index = remembered === undefined ? -1 : variations.findIndex((variation) => variation.key === remembered);
    if (index >= 0) {
      writeSticky(options.sticky, unit, stickyKey, variations[index]!.key);
      return inVariation(experiment, index, attribute, value, 'sticky');
    }
  }

  if (experiment.namespace !== undefined && !isInNamespace(value, experiment.namespace)) {
    return notIn(key, attribute, value, 'namespace');
  }
  if (experiment.condition !== undefined) {
    if (options.matches === undefined || !options.matches(experiment.condition, options.doc)) {
      return notIn(key, attribute, value, 'condition');
    }
  }

  const n = getBucket(experiment.seed ?? key, value, experiment.hashVersion);
  if (n === null) return notIn(key, attribute, value, 'invalid');
  const index = chooseVariation(n, getBucketRanges(variations.length, experiment.coverage, experiment.weights));
  if (index < 0) return notIn(key, attribute, value, 'not-in-coverage');
  if (options.sticky !== undefined) writeSticky(options.sticky, unit, stickyKey, variations[index]!.key);
  return inVariation(experiment, index, attribute, value, 'assigned');
}

/** The hash attribute's value, else the fallback's; an empty string counts as missing. */
function resolveUnit(units: ExperimentUnits, hashAttribute: string, fallbackAttribute: string | undefined): Unit | undefined {
  const primary = units[hashAttribute];
  if (typeof primary === 'string' && primary !== '') return { attribute: hashAttribute, value: primary };
  if (fallbackAttribute === undefined) return undefined;
  const fallback = units[fallbackAttribute];
  if (typeof fallback === 'string' && fallback !== '') return { attribute: fallbackAttribute, value: fallback };
  return undefined;
}

/** `<attribute>||<value>`, GrowthBook's sticky document id. */
export function getStickyDocId(attributeName: string, attributeValue: string): string {
  return `${attributeName}||${attributeValue}`;
}

/**
 * The hash attribute's document first, then the fallback's: an assignment made before login (on
 * `anonymousId`) is kept after it (on `profileId`), and copied to the new document.
 */
function findSticky(sticky: StickyAssignments, units: ExperimentUnits, experiment: Experiment, stickyKey: string): string | undefined {
  for (const attribute of [experiment.hashAttribute, experiment.fallbackAttribute]) {
    if (attribute === undefined) continue;
    const value = units[attribute];
    if (typeof value !== 'string' || value === '') continue;
    const doc = sticky[getStickyDocId(attribute, value)];
    const remembered = doc !== undefined && Object.hasOwn(doc.assignments, stickyKey) ? doc.assignments[stickyKey] : undefined;
    if (remembered !== undefined) return remembered;
  }
  return undefined;
}

function writeSticky(sticky: StickyAssignments, unit: Unit, stickyKey: string, variationKey: string): void {
  const id = getStickyDocId(unit.attribute, unit.value);
  const doc = Object.hasOwn(sticky, id) ? sticky[id] : undefined;
  if (doc === undefined) {
    sticky[id] = { attributeName: unit.attribute, attributeValue: unit.value, assignments: { [stickyKey]: variationKey } };
  } else {
    doc.assignments[stickyKey] = variationKey;
  }
}

function inVariation(experiment: Experiment, index: number, attribute: string, value: string, reason: string): ExperimentAssignment {
  const variation = experiment.variations[index]!;
  return {
    experimentKey: experiment.key,
    variationIndex: index,
    variationKey: variation.key,
    hashAttribute: attribute,
    hashValue: value,
    inExperiment: true,
    reason,
    value: variation.value,
  };
}

function notIn(experimentKey: string, attribute: string, value: string, reason: string): ExperimentAssignment {
  return { experimentKey, variationIndex: -1, variationKey: '', hashAttribute: attribute, hashValue: value, inExperiment: false, reason };
}

function keyOf(experiment: unknown): string {
  const key = (experiment as { key?: unknown } | null)?.key;
  return typeof key === 'string' ? key : '';
}

function attributeOf(experiment: unknown): string {
  const attribute = (experiment as { hashAttribute?: unknown } | null)?.hashAttribute;
  return typeof attribute === 'string' ? attribute : '';
}
