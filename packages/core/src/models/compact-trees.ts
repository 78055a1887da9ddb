import type { CompactTreeClassifier, CompactTreeNodes, CompactTreeRegressor } from './compact-model';
import { invalid, type CompileResult } from './evaluator';
import { isPostTransform, logistic, transformScores, type PostTransform } from './float-math';

const f = Math.fround;
const MAX_CLASSES = 100_000;

/** {@link CompactTreeNodes} in typed arrays, checked, with the branch mode every node shares (else -1). */
interface Trees {
  readonly feature: Int32Array;
  readonly threshold: Float32Array;
  readonly mode: Uint8Array;
  readonly missingTrue: Uint8Array;
  readonly trueChild: Int32Array;
  readonly falseChild: Int32Array;
  readonly roots: Int32Array;
  readonly leafStart: Int32Array;
  readonly leafCount: Int32Array;
  readonly leafTarget: Int32Array;
  readonly leafValue: Float32Array;
  readonly maxFeature: number;
  readonly branchMode: number;
}

/**
 * Checks what a walk relies on, so a bad payload can neither throw nor loop: children after their parent
 * (preorder), features inside the row, leaves with votes for known targets.
 */
function checkTrees(spec: CompactTreeNodes, width: number, targets: number): Trees | string {
  const feature = Int32Array.from(spec.feature, (id) => (id < 0 ? -1 : id));
  const n = feature.length;
  const mode = Uint8Array.from(spec.mode);
  const trueChild = Int32Array.from(spec.trueChild);
  const falseChild = Int32Array.from(spec.falseChild);
  const leafStart = Int32Array.from(spec.leafStart);
  const leafCount = Int32Array.from(spec.leafCount);
  const leafTarget = Int32Array.from(spec.leafTarget);
  const leafValue = Float32Array.from(spec.leafValue);
  const threshold = Float32Array.from(spec.threshold);
  const missingTrue = Uint8Array.from(spec.missingTrue);
  const roots = Int32Array.from(spec.roots);
  if ([threshold, mode, missingTrue, trueChild, falseChild, leafStart, leafCount].some((list) => list.length !== n) || leafTarget.length !== leafValue.length) {
    return 'tree arrays of different lengths';
  }
  let maxFeature = -1;
  let branchMode = -2;
  for (let i = 0; i < n; i++) {
    const id = feature[i] as number;
    if (id < 0) {
      const start = leafStart[i] as number;
      if (!((leafCount[i] as number) > 0 && start >= 0 && start + (leafCount[i] as number) <= leafValue.length)) return `leaf ${i} has no votes`;
    } else {
      const yes = trueChild[i] as number;
      const no = falseChild[i] as number;
      if (id >= width || (mode[i] as number) > 5 || !(yes > i && no > i && yes < n && no < n)) return `node ${i} is not a branch in preorder`;
      maxFeature = Math.max(maxFeature, id);
      branchMode = branchMode === -2 || branchMode === mode[i] ? (mode[i] as number) : -1;
    }
  }
  if (leafTarget.some((target) => target < 0 || target >= targets)) return `a leaf votes for a target outside 0..${targets - 1}`;
  if (roots.some((root) => !(root >= 0 && root < n))) return 'a tree root outside the nodes';
  return { feature, threshold, mode, missingTrue, trueChild, falseChild, roots, leafStart, leafCount, leafTarget, leafValue, maxFeature, branchMode };
}

/** Walks one tree for the row at `offset` and returns its leaf's node index. */
type LeafFinder = (input: Float32Array, offset: number, root: number) => number;

/**
 * A traversal specialised for the trees: the arrays are captured once, leaves are marked by feature −1 so the
 * loop reads one array, and a single shared branch mode skips the per-node switch. NaN takes the true branch
 * only where the node tracks missing values (and for BRANCH_NEQ, where NaN ≠ t holds).
 */
function createLeafFinder(trees: Trees): LeafFinder {
  const { feature, mode, threshold, missingTrue, trueChild, falseChild } = trees;
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
 * Tree ensembles with the arithmetic of onnxruntime 1.30's TreeEnsembleClassifier/Regressor: leaf votes
 * summed per class in float32, then base values and the post transform, including its binary special
 * cases (see {@link CompactTreeClassifier}). `width` bounds the features a branch may test.
 */
export function compileCompactTrees(spec: CompactTreeClassifier | CompactTreeRegressor, width: number): CompileResult {
  const classes = spec.kind === 'tree-classifier' ? spec.classes : 1;
  // Scores are kept per class: a bound keeps a bad payload from allocating gigabytes.
  if (!(Number.isInteger(classes) && classes >= 1 && classes <= MAX_CLASSES)) return invalid(`tree model: ${classes} classes`);
  const trees = checkTrees(spec, width, classes);
  if (typeof trees === 'string') return invalid(`tree model: ${trees}`);
  const reads = { count: trees.maxFeature + 1, exact: false };
  const { roots, leafStart, leafCount, leafTarget, leafValue } = trees;
  const findLeaf = createLeafFinder(trees);
  if (spec.kind === 'tree-regressor') {
    const { aggregate, origin } = spec;
    if (!['SUM', 'AVERAGE', 'MIN', 'MAX'].includes(aggregate) || typeof origin !== 'number') return invalid(`tree model: aggregate "${aggregate}" or origin`);
    const treeCount = roots.length;
    return {
      ok: true,
      task: 'regressor',
      columns: 1,
      reads,
      evaluate(input, offset, out) {
        // With one target onnxruntime uses each leaf's first weight only.
        if (aggregate === 'SUM' || aggregate === 'AVERAGE') {
          let sum = 0;
          for (let r = 0; r < treeCount; r++) sum = f(sum + (leafValue[leafStart[findLeaf(input, offset, roots[r] as number)] as number] as number));
          out[0] = f((aggregate === 'AVERAGE' ? f(sum / treeCount) : sum) + origin);
          return;
        }
        let best = Number.NaN;
        for (let r = 0; r < treeCount; r++) {
          const value = leafValue[leafStart[findLeaf(input, offset, roots[r] as number)] as number] as number;
          if (r === 0 || (aggregate === 'MIN' ? value < best : value > best)) best = value;
        }
        out[0] = treeCount > 0 ? f(best + origin) : origin;
      },
    };
  }
  const { transform, derived } = spec;
  const base = Float64Array.from(spec.base);
  // onnxruntime accepts 0, 1 or 2 base values for two classes, and 0 or one per class beyond.
  if (classes < 2 || (classes > 2 ? base.length !== 0 && base.length !== classes : base.length > 2)) return invalid(`tree model: ${base.length} base values for ${classes} classes`);
  if (!isPostTransform(transform) || !(derived === -1 || derived === 1 || derived === 3)) return invalid(`tree model: transform "${transform}" or derived ${derived}`);
  const scores = new Float64Array(classes);
  const has = new Uint8Array(classes);
  const finalize = classes > 2 ? finalizeMulticlass(base, transform, scores, has) : finalizeBinary(base, transform, derived, scores, has);
  return {
    ok: true,
    task: 'classifier',
    columns: classes,
    reads,
    evaluate(input, offset, out) {
      scores.fill(0);
      has.fill(0);
      for (let r = 0; r < roots.length; r++) {
        const leaf = findLeaf(input, offset, roots[r] as number);
        const end = (leafStart[leaf] as number) + (leafCount[leaf] as number);
        for (let w = leafStart[leaf] as number; w < end; w++) {
          const target = leafTarget[w] as number;
          scores[target] = f((scores[target] as number) + (leafValue[w] as number));
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

/** `derived`: how onnxruntime fills the second column when only one score is left: -1 none, 1 `[1 − s, s]`, 3 `[−s, s]`. */
function finalizeBinary(base: Float64Array, transform: PostTransform, derived: number, scores: Float64Array, has: Uint8Array) {
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
