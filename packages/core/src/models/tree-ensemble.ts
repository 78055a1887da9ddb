import type { CompactTreeClassifier, CompactTreeNodes, CompactTreeRegressor } from './compact-model';
import { floatsOf, hasAttribute, intOf, intsOf, invalid, stringOf, stringsOf, unsupported, type CompileFailure, type Conversion } from './evaluator';
import { parsePostTransform } from './float-math';
import type { OnnxNode } from './onnx-model';

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
  /** Tree and node ids as in the file, for messages. */
  readonly treeIds: readonly number[];
  readonly nodeIds: readonly number[];
  readonly weightStart: Int32Array;
  readonly weightCount: Int32Array;
  readonly weightTarget: Int32Array;
  readonly weightValue: Float32Array;
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
  for (let i = 0; i < n; i++) {
    const key = `${treeIds[i]}:${nodeIds[i]}`;
    if (index.has(key)) return invalid(`${node.opType} lists node ${nodeIds[i]} of tree ${treeIds[i]} twice`);
    index.set(key, i);
    const code = MODES[modeNames[i] as string];
    if (code === undefined) return unsupported(`${node.opType} node mode "${modeNames[i]}"`);
    mode[i] = code;
    if (code !== LEAF) {
      if ((featureIds[i] as number) < 0) return invalid(`${node.opType} node ${nodeIds[i]} of tree ${treeIds[i]} tests feature ${featureIds[i]}`);
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
  return {
    feature: Int32Array.from(featureIds),
    threshold: Float32Array.from(values),
    mode,
    missingTrue: Uint8Array.from({ length: n }, (_, i) => (missing[i] === 1 ? 1 : 0)),
    trueChild,
    falseChild,
    roots: Int32Array.from(roots),
    treeIds,
    nodeIds,
    ...weights,
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

/** Nodes a model may hold once unfolded into preorder (a node shared by two parents is copied). */
const MAX_PREORDER_NODES = 4_000_000;

/**
 * The trees in preorder, the compact form's layout: each tree's nodes from its root, a node before its
 * children, so a device can check in one pass that every walk ends. Tree order and each leaf's votes stay
 * as they were, so scores are summed in the same order. Unreachable nodes are left out; a node shared by
 * two parents is copied; a node reached again below itself is an error (a walk would never end).
 */
function toPreorder(trees: FlatTrees, opType: string): CompactTreeNodes | CompileFailure {
  const { mode, feature, threshold, missingTrue, weightStart, weightCount } = trees;
  const onPath = new Uint8Array(mode.length);
  const nodes: { [K in keyof CompactTreeNodes]: number[] } = { feature: [], threshold: [], mode: [], missingTrue: [], trueChild: [], falseChild: [], roots: [], leafStart: [], leafCount: [], leafTarget: Array.from(trees.weightTarget), leafValue: Array.from(trees.weightValue) };
  // Pairs of (node, the parent slot pointing at it: index · 2 + side, −1 for a root, −2 marks leaving the node).
  const stack: number[] = [];
  for (const root of trees.roots) {
    nodes.roots.push(nodes.feature.length);
    stack.push(root, -1);
    while (stack.length > 0) {
      const slot = stack.pop() as number;
      const at = stack.pop() as number;
      if (slot === -2) {
        onPath[at] = 0;
        continue;
      }
      if (onPath[at] === 1) return invalid(`${opType} tree ${trees.treeIds[at]} loops back to node ${trees.nodeIds[at]}`);
      const placed = nodes.feature.length;
      if (placed >= MAX_PREORDER_NODES) return unsupported(`${opType} unfolds into more than ${MAX_PREORDER_NODES} nodes`);
      if (slot >= 0) ((slot & 1) === 0 ? nodes.trueChild : nodes.falseChild)[slot >> 1] = placed;
      const leaf = mode[at] === LEAF;
      nodes.feature.push(leaf ? -1 : (feature[at] as number));
      nodes.threshold.push(leaf ? 0 : (threshold[at] as number));
      nodes.mode.push(leaf ? 0 : (mode[at] as number));
      nodes.missingTrue.push(leaf ? 0 : (missingTrue[at] as number));
      nodes.trueChild.push(0);
      nodes.falseChild.push(0);
      nodes.leafStart.push(leaf ? (weightStart[at] as number) : 0);
      nodes.leafCount.push(leaf ? (weightCount[at] as number) : 0);
      if (!leaf) {
        onPath[at] = 1;
        stack.push(at, -2, trees.falseChild[at] as number, placed * 2 + 1, trees.trueChild[at] as number, placed * 2);
      }
    }
  }
  return nodes;
}

/**
 * ai.onnx.ml TreeEnsembleClassifier in compact form: leaf votes summed per class in float32, then base
 * values and the post transform applied exactly as onnxruntime 1.30 does, including its binary special
 * cases: with votes for one class only, the other column is derived (`[1 − s, s]`, `[−s, s]`, or the
 * logistic of ±s), and a class that received no vote reads as 0 whatever its base value.
 */
export function toCompactTreeClassifier(node: OnnxNode): Conversion<CompactTreeClassifier> {
  const classes = Math.max(intsOf(node, 'classlabels_int64s').length, stringsOf(node, 'classlabels_strings').length);
  if (classes < 2) return unsupported(`${node.opType} with ${classes} class label(s)`);
  const transform = parsePostTransform(stringOf(node, 'post_transform'));
  if (transform === undefined) return unsupported(`${node.opType} post_transform "${stringOf(node, 'post_transform')}"`);
  const base = Array.from(floatsOf(node, 'base_values'), Math.fround);
  // onnxruntime accepts 0, 1 or 2 base values for two classes, and 0 or one per class beyond.
  if (classes > 2 ? base.length !== 0 && base.length !== classes : base.length > 2) return invalid(`${node.opType} has ${base.length} base_values for ${classes} classes`);
  const trees = flattenTrees(node, 'class');
  if ('ok' in trees) return trees;
  const classIds = intsOf(node, 'class_ids');
  const bad = classIds.find((id) => id < 0 || id >= classes);
  if (bad !== undefined) return invalid(`${node.opType} votes for class ${bad} but has ${classes} class labels`);
  const binaryCase = classes === 2 && new Set(classIds).size === 1;
  const allPositive = floatsOf(node, 'class_weights').every((weight) => weight >= 0);
  const nodes = toPreorder(trees, node.opType);
  if ('ok' in nodes) return nodes;
  // How onnxruntime fills the second column of a binary model when only one score is left.
  const derived = binaryCase ? (allPositive ? 1 : 3) : base.length === 0 ? 3 : -1;
  return { ok: true, task: 'classifier', spec: { kind: 'tree-classifier', ...nodes, classes, base, transform, derived } };
}

/** ai.onnx.ml TreeEnsembleRegressor with one target: SUM, AVERAGE, MIN or MAX of the leaf values plus the base value. */
export function toCompactTreeRegressor(node: OnnxNode): Conversion<CompactTreeRegressor> {
  const targets = intOf(node, 'n_targets', 0);
  if (targets < 1) return invalid(`${node.opType} needs "n_targets" ≥ 1`);
  if (targets !== 1) return unsupported(`${node.opType} with ${targets} targets`);
  if (parsePostTransform(stringOf(node, 'post_transform')) === undefined) return unsupported(`${node.opType} post_transform "${stringOf(node, 'post_transform')}"`);
  const aggregate = stringOf(node, 'aggregate_function') ?? 'SUM';
  if (aggregate !== 'SUM' && aggregate !== 'AVERAGE' && aggregate !== 'MIN' && aggregate !== 'MAX') return unsupported(`${node.opType} aggregate_function "${aggregate}"`);
  const base = floatsOf(node, 'base_values');
  const origin = base.length === 1 ? Math.fround(base[0] as number) : 0;
  const trees = flattenTrees(node, 'target');
  if ('ok' in trees) return trees;
  const bad = intsOf(node, 'target_ids').find((id) => id !== 0);
  if (bad !== undefined) return invalid(`${node.opType} votes for target ${bad} but has one target`);
  const nodes = toPreorder(trees, node.opType);
  if ('ok' in nodes) return nodes;
  return { ok: true, task: 'regressor', spec: { kind: 'tree-regressor', ...nodes, aggregate, origin } };
}
