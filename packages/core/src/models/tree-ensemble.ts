import { logistic, parsePostTransform, transformScores, type PostTransform } from './float-math';
import { floatsOf, hasAttribute, intOf, intsOf, invalid, stringOf, stringsOf, unsupported, type CompileFailure, type CompileResult } from './evaluator';
import type { OnnxNode } from './onnx-model';

const f = Math.fround;
const LEAF = 6;
const MODES: Readonly<Record<string, number>> = { BRANCH_LEQ: 0, BRANCH_LT: 1, BRANCH_GTE: 2, BRANCH_GT: 3, BRANCH_EQ: 4, BRANCH_NEQ: 5, LEAF };

/**
 * Trees flattened into typed arrays, in the node order of the file: node `i` tests feature `feature[i]`
 * against `threshold[i]` with `mode[i]` and continues at `trueChild[i]` or `falseChild[i]`; a leaf's votes
 * are `weightTarget`/`weightValue` from `weightStart[i]` for `weightCount[i]` entries.
 */
interface FlatTrees {
  readonly feature: Int32Array;
  readonly threshold: Float32Array;
  readonly mode: Uint8Array;
  readonly missingTrue: Uint8Array;
  readonly trueChild: Int32Array;
  readonly falseChild: Int32Array;
  readonly roots: Int32Array;
  readonly weightStart: Int32Array;
  readonly weightCount: Int32Array;
  readonly weightTarget: Int32Array;
  readonly weightValue: Float32Array;
  readonly maxFeature: number;
  /** The mode every branch shares (converters write one, usually BRANCH_LEQ or BRANCH_LT), else -1. */
  readonly branchMode: number;
}

/** The attributes with a `class_` (classifier) or `target_` (regressor) prefix that hold the leaf votes. */
function flattenTrees(node: OnnxNode, prefix: 'class' | 'target'): FlatTrees | CompileFailure {
  for (const name of ['nodes_values_as_tensor', 'nodes_hitrates_as_tensor', 'base_values_as_tensor', `${prefix}_weights_as_tensor`]) {
    // Double-precision thresholds compare differently from float ones: leave those models to onnxruntime.
    if (hasAttribute(node, name)) return unsupported(`${node.opType} with "${name}" (double precision)`);
  }
  const treeIds = intsOf(node, 'nodes_treeids');
  const nodeIds = intsOf(node, 'nodes_nodeids');
  const featureIds = intsOf(node, 'nodes_featureids');
  const values = floatsOf(node, 'nodes_values');
  const modeNames = stringsOf(node, 'nodes_modes');
  const trueIds = intsOf(node, 'nodes_truenodeids');
  const falseIds = intsOf(node, 'nodes_falsenodeids');
  const missing = intsOf(node, 'nodes_missing_value_tracks_true');
  const n = treeIds.length;
  if (n === 0) return invalid(`${node.opType} has no nodes`);
  for (const [name, list] of [['nodes_nodeids', nodeIds], ['nodes_featureids', featureIds], ['nodes_values', values], ['nodes_modes', modeNames], ['nodes_truenodeids', trueIds], ['nodes_falsenodeids', falseIds]] as const) {
    if (list.length !== n) return invalid(`${node.opType} has ${n} nodes_treeids but ${list.length} ${name}`);
  }
  const index = new Map<string, number>();
  const mode = new Uint8Array(n);
  let maxFeature = -1;
  let branchMode = -2;
  for (let i = 0; i < n; i++) {
    const key = `${treeIds[i]}:${nodeIds[i]}`;
    if (index.has(key)) return invalid(`${node.opType} lists node ${nodeIds[i]} of tree ${treeIds[i]} twice`);
    index.set(key, i);
    const code = MODES[modeNames[i] as string];
    if (code === undefined) return unsupported(`${node.opType} node mode "${modeNames[i]}"`);
    mode[i] = code;
    if (code !== LEAF) {
      if ((featureIds[i] as number) < 0) return invalid(`${node.opType} node ${nodeIds[i]} of tree ${treeIds[i]} tests feature ${featureIds[i]}`);
      maxFeature = Math.max(maxFeature, featureIds[i] as number);
      branchMode = branchMode === -2 || branchMode === code ? code : -1;
    }
  }
  const trueChild = new Int32Array(n);
  const falseChild = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (mode[i] === LEAF) continue;
    for (const [ids, into, side] of [[trueIds, trueChild, 'true'], [falseIds, falseChild, 'false']] as const) {
      const id = ids[i] as number;
      const child = id >= 0 && id < n ? index.get(`${treeIds[i]}:${id}`) : undefined;
      if (child === undefined || child === i) return invalid(`${node.opType} node ${nodeIds[i]} of tree ${treeIds[i]} has no valid ${side} branch (node ${id})`);
      into[i] = child;
    }
  }
  const weights = leafWeights(node, prefix, index, mode);
  if ('ok' in weights) return weights;
  const roots: number[] = [];
  for (let i = 0; i < n; i++) if (i === 0 || treeIds[i] !== treeIds[i - 1]) roots.push(i);
  const cycle = findCycle(roots, mode, trueChild, falseChild);
  if (cycle !== undefined) return invalid(`${node.opType} tree ${treeIds[cycle]} loops back to node ${nodeIds[cycle]}`);
  return {
    feature: Int32Array.from(featureIds),
    threshold: Float32Array.from(values),
    mode,
    missingTrue: Uint8Array.from({ length: n }, (_, i) => (missing[i] === 1 ? 1 : 0)),
    trueChild,
    falseChild,
    roots: Int32Array.from(roots),
    ...weights,
    maxFeature,
    branchMode: branchMode === -2 ? -1 : branchMode,
  };
}

/**
 * Leaf votes in onnxruntime's order: sorted by (tree, node, position in the file). Votes on branch nodes are
 * ignored (old converters wrote some); a leaf without a vote is an error, as in onnxruntime.
 */
function leafWeights(node: OnnxNode, prefix: 'class' | 'target', index: ReadonlyMap<string, number>, mode: Uint8Array) {
  const targets = intsOf(node, `${prefix}_ids`);
  const nodeIds = intsOf(node, `${prefix}_nodeids`);
  const treeIds = intsOf(node, `${prefix}_treeids`);
  const values = floatsOf(node, `${prefix}_weights`);
  const m = targets.length;
  if (nodeIds.length !== m || treeIds.length !== m || values.length !== m) {
    return invalid(`${node.opType} has ${m} ${prefix}_ids but ${nodeIds.length} ${prefix}_nodeids, ${treeIds.length} ${prefix}_treeids and ${values.length} ${prefix}_weights`);
  }
  const entries: Array<{ at: number; leaf: number }> = [];
  for (let k = 0; k < m; k++) {
    const leaf = index.get(`${treeIds[k]}:${nodeIds[k]}`);
    if (leaf === undefined) return invalid(`${node.opType} ${prefix}_nodeids names node ${nodeIds[k]} of tree ${treeIds[k]}, which does not exist`);
    if (mode[leaf] === LEAF) entries.push({ at: k, leaf });
  }
  entries.sort((a, b) => (treeIds[a.at] as number) - (treeIds[b.at] as number) || (nodeIds[a.at] as number) - (nodeIds[b.at] as number) || a.at - b.at);
  const weightStart = new Int32Array(mode.length).fill(-1);
  const weightCount = new Int32Array(mode.length);
  const weightTarget = new Int32Array(entries.length);
  const weightValue = new Float32Array(entries.length);
  entries.forEach(({ at, leaf }, position) => {
    if (weightStart[leaf] === -1) weightStart[leaf] = position;
    weightCount[leaf] = (weightCount[leaf] as number) + 1;
    weightTarget[position] = targets[at] as number;
    weightValue[position] = values[at] as number;
  });
  for (let i = 0; i < mode.length; i++) {
    if (mode[i] === LEAF && weightCount[i] === 0) return invalid(`${node.opType} leaf ${i} (in file order) has no ${prefix} weight`);
  }
  return { weightStart, weightCount, weightTarget, weightValue };
}

/** A node reachable from itself (which would make a traversal loop forever), by an iterative colour DFS. */
function findCycle(roots: readonly number[], mode: Uint8Array, trueChild: Int32Array, falseChild: Int32Array): number | undefined {
  const state = new Uint8Array(mode.length); // 0 unseen, 1 on the current path, 2 done
  for (const root of roots) {
    if (state[root] === 2) continue;
    const stack: number[] = [root];
    const nextChild: number[] = [0];
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack.length - 1;
      const at = stack[top] as number;
      const step = nextChild[top] as number;
      if (mode[at] === LEAF || step === 2) {
        state[at] = 2;
        stack.pop();
        nextChild.pop();
        continue;
      }
      nextChild[top] = step + 1;
      const child = (step === 0 ? trueChild[at] : falseChild[at]) as number;
      if (state[child] === 1) return child;
      if (state[child] === 0) {
        state[child] = 1;
        stack.push(child);
        nextChild.push(0);
      }
    }
  }
  return undefined;
}

/** Walks one tree for the row at `offset` and returns its leaf's node index. */
type LeafFinder = (input: Float32Array, offset: number, root: number) => number;

/**
 * A traversal specialised for the trees: the arrays are captured once, leaves are marked by feature −1 so the
 * loop reads one array, and a single shared branch mode skips the per-node switch. NaN takes the true branch
 * only where the node tracks missing values (and for BRANCH_NEQ, where NaN ≠ t holds).
 */
function createLeafFinder(trees: FlatTrees): LeafFinder {
  const { mode, threshold, missingTrue, trueChild, falseChild } = trees;
  const feature = Int32Array.from(trees.feature, (id, i) => (mode[i] === LEAF ? -1 : id));
  const step = (go: boolean, at: number, x: number): number => (go || (missingTrue[at] === 1 && x !== x) ? trueChild[at] : falseChild[at]) as number;
  if (trees.branchMode === 0) {
    return (input, offset, root) => {
      let at = root;
      for (let id = feature[at] as number; id >= 0; id = feature[at] as number) {
        const x = input[offset + id] as number;
        at = (x <= (threshold[at] as number) || (missingTrue[at] === 1 && x !== x) ? trueChild[at] : falseChild[at]) as number;
      }
      return at;
    };
  }
  if (trees.branchMode === 1) {
    return (input, offset, root) => {
      let at = root;
      for (let id = feature[at] as number; id >= 0; id = feature[at] as number) {
        const x = input[offset + id] as number;
        at = (x < (threshold[at] as number) || (missingTrue[at] === 1 && x !== x) ? trueChild[at] : falseChild[at]) as number;
      }
      return at;
    };
  }
  return (input, offset, root) => {
    let at = root;
    for (let id = feature[at] as number; id >= 0; id = feature[at] as number) {
      const x = input[offset + id] as number;
      const t = threshold[at] as number;
      switch (mode[at]) {
        case 0: at = step(x <= t, at, x); break;
        case 1: at = step(x < t, at, x); break;
        case 2: at = step(x >= t, at, x); break;
        case 3: at = step(x > t, at, x); break;
        case 4: at = step(x === t, at, x); break;
        default: at = step(x !== t, at, x);
      }
    }
    return at;
  };
}

/**
 * ai.onnx.ml TreeEnsembleClassifier: leaf votes summed per class in float32, then base values and the post
 * transform applied exactly as onnxruntime 1.30 does, including its binary special cases: with votes for
 * one class only, the other column is derived (`[1 − s, s]`, `[−s, s]`, or the logistic of ±s), and a
 * class that received no vote reads as 0 whatever its base value.
 */
export function compileTreeEnsembleClassifier(node: OnnxNode): CompileResult {
  const classes = Math.max(intsOf(node, 'classlabels_int64s').length, stringsOf(node, 'classlabels_strings').length);
  if (classes < 2) return unsupported(`${node.opType} with ${classes} class label(s)`);
  const transform = parsePostTransform(stringOf(node, 'post_transform'));
  if (transform === undefined) return unsupported(`${node.opType} post_transform "${stringOf(node, 'post_transform')}"`);
  const base = Float64Array.from(floatsOf(node, 'base_values'), f);
  // onnxruntime accepts 0, 1 or 2 base values for two classes, and 0 or one per class beyond.
  if (classes > 2 ? base.length !== 0 && base.length !== classes : base.length > 2) return invalid(`${node.opType} has ${base.length} base_values for ${classes} classes`);
  const trees = flattenTrees(node, 'class');
  if ('ok' in trees) return trees;
  const classIds = intsOf(node, 'class_ids');
  const bad = classIds.find((id) => id < 0 || id >= classes);
  if (bad !== undefined) return invalid(`${node.opType} votes for class ${bad} but has ${classes} class labels`);
  const binaryCase = classes === 2 && new Set(classIds).size === 1;
  const allPositive = floatsOf(node, 'class_weights').every((weight) => weight >= 0);
  const scores = new Float64Array(classes);
  const has = new Uint8Array(classes);
  const finalize = classes > 2 ? finalizeMulticlass(base, transform, scores, has) : finalizeBinary(base, transform, binaryCase, allPositive, scores, has);
  const { roots, weightStart, weightCount, weightTarget, weightValue } = trees;
  const findLeaf = createLeafFinder(trees);
  return {
    ok: true,
    task: 'classifier',
    columns: classes,
    reads: { count: trees.maxFeature + 1, exact: false },
    evaluate(input, offset, out) {
      scores.fill(0);
      has.fill(0);
      for (let r = 0; r < roots.length; r++) {
        const leaf = findLeaf(input, offset, roots[r] as number);
        const end = (weightStart[leaf] as number) + (weightCount[leaf] as number);
        for (let w = weightStart[leaf] as number; w < end; w++) {
          const target = weightTarget[w] as number;
          scores[target] = f((scores[target] as number) + (weightValue[w] as number));
          has[target] = 1;
        }
      }
      finalize(out);
    },
  };
}

function finalizeMulticlass(base: Float64Array, transform: PostTransform, scores: Float64Array, has: Uint8Array) {
  return (out: Float64Array) => {
    for (let k = 0; k < base.length; k++) {
      scores[k] = has[k] === 1 ? f((scores[k] as number) + (base[k] as number)) : (base[k] as number);
      has[k] = 1;
    }
    for (let k = 0; k < scores.length; k++) out[k] = has[k] === 1 ? (scores[k] as number) : 0;
    transformScores(transform, out, 0, scores.length);
  };
}

function finalizeBinary(base: Float64Array, transform: PostTransform, binaryCase: boolean, allPositive: boolean, scores: Float64Array, has: Uint8Array) {
  // How onnxruntime fills the second column when only one score is left: -1 none, 1 `[1 − s, s]`, 3 `[−s, s]`.
  const derived = binaryCase ? (allPositive ? 1 : 3) : base.length === 0 ? 3 : -1;
  return (out: Float64Array) => {
    let single = false;
    if (base.length === 2) {
      if (has[1] === 1) {
        // onnxruntime adds class 0's sum, not class 1's, and negates it into class 0 (which keeps its flag).
        scores[1] = f((base[1] as number) + (scores[0] as number));
        scores[0] = -(scores[1] as number);
      } else {
        scores[1] = f((scores[1] as number) + (base[1] as number));
        scores[0] = f((scores[0] as number) + (base[0] as number));
      }
    } else if (base.length === 1) {
      scores[0] = f((scores[0] as number) + (base[0] as number));
      single = has[1] === 0;
    } else single = has[1] === 0;
    const v0 = has[0] === 1 ? (scores[0] as number) : 0;
    if (!single) {
      out[0] = v0;
      out[1] = has[1] === 1 ? (scores[1] as number) : 0;
      transformScores(transform, out, 0, 2);
    } else if (derived === 1) {
      const p = transform === 'LOGISTIC' ? logistic(v0) : v0;
      out[0] = f(1 - p);
      out[1] = p;
    } else if (derived === 3) {
      out[0] = transform === 'LOGISTIC' ? logistic(-v0) : -v0;
      out[1] = transform === 'LOGISTIC' ? logistic(v0) : v0;
    } else {
      // onnxruntime writes one score and leaves the second column unset.
      out[0] = v0;
      out[1] = Number.NaN;
    }
  };
}

/** ai.onnx.ml TreeEnsembleRegressor with one target: SUM, AVERAGE, MIN or MAX of the leaf values plus the base value. */
export function compileTreeEnsembleRegressor(node: OnnxNode): CompileResult {
  const targets = intOf(node, 'n_targets', 0);
  if (targets < 1) return invalid(`${node.opType} needs "n_targets" ≥ 1`);
  if (targets !== 1) return unsupported(`${node.opType} with ${targets} targets`);
  if (parsePostTransform(stringOf(node, 'post_transform')) === undefined) return unsupported(`${node.opType} post_transform "${stringOf(node, 'post_transform')}"`);
  const aggregate = stringOf(node, 'aggregate_function') ?? 'SUM';
  if (aggregate !== 'SUM' && aggregate !== 'AVERAGE' && aggregate !== 'MIN' && aggregate !== 'MAX') return unsupported(`${node.opType} aggregate_function "${aggregate}"`);
  const base = floatsOf(node, 'base_values');
  const origin = base.length === 1 ? f(base[0] as number) : 0;
  const trees = flattenTrees(node, 'target');
  if ('ok' in trees) return trees;
  const bad = intsOf(node, 'target_ids').find((id) => id !== 0);
  if (bad !== undefined) return invalid(`${node.opType} votes for target ${bad} but has one target`);
  const { roots, weightStart, weightValue } = trees;
  const treeCount = roots.length;
  const findLeaf = createLeafFinder(trees);
  return {
    ok: true,
    task: 'regressor',
    columns: 1,
    reads: { count: trees.maxFeature + 1, exact: false },
    evaluate(input, offset, out) {
      // With one target onnxruntime uses each leaf's first weight only.
      if (aggregate === 'SUM' || aggregate === 'AVERAGE') {
        let sum = 0;
        for (let r = 0; r < treeCount; r++) sum = f(sum + (weightValue[weightStart[findLeaf(input, offset, roots[r] as number)] as number] as number));
        out[0] = f((aggregate === 'AVERAGE' ? f(sum / treeCount) : sum) + origin);
        return;
      }
      let best = Number.NaN;
      for (let r = 0; r < treeCount; r++) {
        const value = weightValue[weightStart[findLeaf(input, offset, roots[r] as number)] as number] as number;
        if (r === 0 || (aggregate === 'MIN' ? value < best : value > best)) best = value;
      }
      out[0] = treeCount > 0 ? f(best + origin) : origin;
    },
  };
}
