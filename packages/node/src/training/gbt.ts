import { TailorError, createSeededRandom } from '@tailor/core';
import type { TrainingMatrix } from './logistic';
import { sigmoid, type RegressionTree, type TreeEnsembleModel } from './model';

export interface GbtOptions {
  /** Boosting rounds. Default 100. */
  readonly trees?: number;
  /** Splits from the root to a leaf, at most. Default 4. */
  readonly maxDepth?: number;
  /** Shrinks each tree's leaves. Default 0.1. */
  readonly learningRate?: number;
  /** Rows a leaf must hold, at least. Default 20. */
  readonly minLeaf?: number;
  /** L2 penalty on leaf values (XGBoost's λ). Default 1. */
  readonly l2?: number;
  /** Candidate thresholds per feature, at most (quantiles of the training values). Default 64, at most 255. */
  readonly maxBins?: number;
  /** Share of rows each tree is fitted on, drawn with the seed. Default 0.8. */
  readonly subsample?: number;
  /** Seeds row sampling: the same data, options and seed give the same model. Default 1. */
  readonly seed?: number;
  /** Called after each tree, for a progress bar. */
  readonly onTree?: (done: number, total: number) => void;
}

export interface GbtTrainingResult {
  readonly model: TreeEnsembleModel;
  /** Mean log loss on the training rows after each tree. */
  readonly lossCurve: readonly number[];
}

const MIN_HESSIAN = 1e-6;

/**
 * Gradient-boosted regression trees for binary log loss (Friedman's algorithm with XGBoost's second-order
 * leaves and gains): each tree fits the gradient `p − y` and hessian `p(1 − p)` of the current margins,
 * splitting depth-first on histogram bins. Thresholds are float32 values seen in the training data, and a
 * split sends `x <= threshold` left, so the exported ONNX trees route every row exactly as training did.
 *
 * @example
 * const { model } = trainGbt(dataset.train, { trees: 200, maxDepth: 3, seed: 7 });
 */
export function trainGbt(data: TrainingMatrix, options: GbtOptions = {}): GbtTrainingResult {
  const settings = resolveOptions(options);
  const d = data.featureNames.length;
  const n = data.n;
  if (n === 0) throw new TailorError('invalid_options', 'trainGbt: no training rows; widen the window or lower the snapshot step');
  if (data.x.length < n * d || data.y.length < n) throw new TailorError('invalid_options', `trainGbt: ${n} rows need ${n * d} features and ${n} labels`);

  const thresholds = Array.from({ length: d }, (_, j) => candidateThresholds(data.x, n, d, j, settings.maxBins));
  const bins = binRows(data.x, n, d, thresholds);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += data.y[i] === 1 ? 1 : 0;
  const rate = Math.min(Math.max(positives / n, 1e-6), 1 - 1e-6);
  const base = Math.log(rate / (1 - rate));
  const margin = new Float64Array(n).fill(base);
  const gradient = new Float64Array(n);
  const hessian = new Float64Array(n);
  const random = createSeededRandom(`gbt:${settings.seed}`);
  const trees: RegressionTree[] = [];
  const lossCurve: number[] = [];
  const grower = createGrower({ bins, thresholds, gradient, hessian, d, settings });

  for (let t = 0; t < settings.trees; t++) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(margin[i] as number);
      gradient[i] = p - (data.y[i] as number);
      hessian[i] = Math.max(p * (1 - p), MIN_HESSIAN);
    }
    const sampled: number[] = [];
    for (let i = 0; i < n; i++) if (settings.subsample >= 1 || random.random() < settings.subsample) sampled.push(i);
    const grown = grower.grow(Int32Array.from(sampled));
    trees.push(grown.tree);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      margin[i] = (margin[i] as number) + (grown.tree.value[findBinnedLeaf(grown.splitBin, grown.tree, bins, i * d)] as number);
      const m = margin[i] as number;
      loss += (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))) - (data.y[i] as number) * m;
    }
    lossCurve.push(loss / n);
    settings.onTree?.(t + 1, settings.trees);
  }
  return { model: { kind: 'gbt', featureNames: [...data.featureNames], base, trees }, lossCurve };
}

interface Settings {
  readonly trees: number;
  readonly maxDepth: number;
  readonly learningRate: number;
  readonly minLeaf: number;
  readonly l2: number;
  readonly maxBins: number;
  readonly subsample: number;
  readonly seed: number;
  readonly onTree?: (done: number, total: number) => void;
}

function resolveOptions(options: GbtOptions): Settings {
  const check = (name: keyof GbtOptions, value: number, ok: boolean, what: string) => {
    if (!ok) throw new TailorError('invalid_options', `trainGbt: "${name}" must be ${what}, got ${String(value)}`);
    return value;
  };
  const trees = options.trees ?? 100;
  const maxDepth = options.maxDepth ?? 4;
  const learningRate = options.learningRate ?? 0.1;
  const minLeaf = options.minLeaf ?? 20;
  const l2 = options.l2 ?? 1;
  const maxBins = options.maxBins ?? 64;
  const subsample = options.subsample ?? 0.8;
  const seed = options.seed ?? 1;
  return {
    trees: check('trees', trees, Number.isInteger(trees) && trees >= 1, 'an integer >= 1'),
    maxDepth: check('maxDepth', maxDepth, Number.isInteger(maxDepth) && maxDepth >= 1 && maxDepth <= 16, 'an integer from 1 to 16'),
    learningRate: check('learningRate', learningRate, learningRate > 0 && learningRate <= 1, 'in (0, 1]'),
    minLeaf: check('minLeaf', minLeaf, Number.isInteger(minLeaf) && minLeaf >= 1, 'an integer >= 1'),
    l2: check('l2', l2, l2 >= 0, 'a number >= 0'),
    maxBins: check('maxBins', maxBins, Number.isInteger(maxBins) && maxBins >= 2 && maxBins <= 255, 'an integer from 2 to 255'),
    subsample: check('subsample', subsample, subsample > 0 && subsample <= 1, 'in (0, 1]'),
    seed: check('seed', seed, Number.isSafeInteger(seed), 'an integer'),
    ...(options.onTree === undefined ? {} : { onTree: options.onTree }),
  };
}

/**
 * Up to `maxBins` split points for feature `j`: every distinct value but the largest when there are few,
 * else values at evenly spaced quantiles. All are float32 values from the data.
 */
function candidateThresholds(x: Float32Array, n: number, d: number, j: number, maxBins: number): Float32Array {
  const values = new Float32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i * d + j] as number;
    if (v === v) values[count++] = v;
  }
  const sorted = values.subarray(0, count).sort();
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i] as number);
  if (distinct.length <= 1) return new Float32Array(0);
  if (distinct.length <= maxBins) return Float32Array.from(distinct.slice(0, -1));
  const picked: number[] = [];
  for (let k = 1; k < maxBins; k++) {
    const value = sorted[Math.min(count - 1, Math.floor((k * count) / maxBins))] as number;
    // A quantile that is the maximum would split nothing off.
    if (value < (distinct[distinct.length - 1] as number) && (picked.length === 0 || value > (picked[picked.length - 1] as number))) picked.push(value);
  }
  return Float32Array.from(picked);
}

/** The bin of each value: the first threshold it is <= to, or the count of thresholds (NaN too). */
function binRows(x: Float32Array, n: number, d: number, thresholds: readonly Float32Array[]): Uint8Array {
  const bins = new Uint8Array(n * d);
  for (let j = 0; j < d; j++) {
    const edges = thresholds[j] as Float32Array;
    for (let i = 0; i < n; i++) {
      const v = x[i * d + j] as number;
      let lo = 0;
      let hi = edges.length;
      if (v !== v) lo = edges.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v <= (edges[mid] as number)) hi = mid;
        else lo = mid + 1;
      }
      bins[i * d + j] = lo;
    }
  }
  return bins;
}

/** `x <= threshold[k]` exactly when `bin(x) <= k`, so training can route binned rows. */
function findBinnedLeaf(splitBin: Int32Array, tree: RegressionTree, bins: Uint8Array, offset: number): number {
  let at = 0;
  for (let feature = tree.feature[0] as number; feature >= 0; feature = tree.feature[at] as number) {
    at = ((bins[offset + feature] as number) <= (splitBin[at] as number) ? tree.left[at] : tree.right[at]) as number;
  }
  return at;
}

interface GrowerInput {
  readonly bins: Uint8Array;
  readonly thresholds: readonly Float32Array[];
  readonly gradient: Float64Array;
  readonly hessian: Float64Array;
  readonly d: number;
  readonly settings: Settings;
}

function createGrower({ bins, thresholds, gradient, hessian, d, settings }: GrowerInput) {
  const stride = 256;
  const histG = new Float64Array(d * stride);
  const histH = new Float64Array(d * stride);
  const histC = new Int32Array(d * stride);
  const { l2, minLeaf, maxDepth, learningRate } = settings;

  return {
    grow(rows: Int32Array): { tree: RegressionTree; splitBin: Int32Array } {
      const feature: number[] = [];
      const threshold: number[] = [];
      const splitBin: number[] = [];
      const left: number[] = [];
      const right: number[] = [];
      const value: number[] = [];
      const addNode = () => {
        feature.push(-1);
        threshold.push(0);
        splitBin.push(0);
        left.push(0);
        right.push(0);
        value.push(0);
        return feature.length - 1;
      };

      const build = (node: number, members: Int32Array, depth: number) => {
        let sumG = 0;
        let sumH = 0;
        for (let r = 0; r < members.length; r++) {
          const i = members[r] as number;
          sumG += gradient[i] as number;
          sumH += hessian[i] as number;
        }
        value[node] = (-sumG / (sumH + l2)) * learningRate;
        if (depth >= maxDepth || members.length < 2 * minLeaf) return;
        histG.fill(0);
        histH.fill(0);
        histC.fill(0);
        for (let r = 0; r < members.length; r++) {
          const i = members[r] as number;
          const g = gradient[i] as number;
          const h = hessian[i] as number;
          const offset = i * d;
          for (let j = 0; j < d; j++) {
            const at = j * stride + (bins[offset + j] as number);
            histG[at] = (histG[at] as number) + g;
            histH[at] = (histH[at] as number) + h;
            histC[at] = (histC[at] as number) + 1;
          }
        }
        const parentScore = (sumG * sumG) / (sumH + l2);
        let bestGain = 1e-12;
        let bestFeature = -1;
        let bestBin = -1;
        for (let j = 0; j < d; j++) {
          const edges = (thresholds[j] as Float32Array).length;
          let leftG = 0;
          let leftH = 0;
          let leftC = 0;
          for (let k = 0; k < edges; k++) {
            const at = j * stride + k;
            leftG += histG[at] as number;
            leftH += histH[at] as number;
            leftC += histC[at] as number;
            const rightC = members.length - leftC;
            if (leftC < minLeaf) continue;
            if (rightC < minLeaf) break;
            const rightG = sumG - leftG;
            const rightH = sumH - leftH;
            const gain = (leftG * leftG) / (leftH + l2) + (rightG * rightG) / (rightH + l2) - parentScore;
            if (gain > bestGain) {
              bestGain = gain;
              bestFeature = j;
              bestBin = k;
            }
          }
        }
        if (bestFeature < 0) return;
        const goLeft: number[] = [];
        const goRight: number[] = [];
        for (let r = 0; r < members.length; r++) {
          const i = members[r] as number;
          ((bins[i * d + bestFeature] as number) <= bestBin ? goLeft : goRight).push(i);
        }
        feature[node] = bestFeature;
        threshold[node] = (thresholds[bestFeature] as Float32Array)[bestBin] as number;
        splitBin[node] = bestBin;
        const leftNode = addNode();
        const rightNode = addNode();
        left[node] = leftNode;
        right[node] = rightNode;
        build(leftNode, Int32Array.from(goLeft), depth + 1);
        build(rightNode, Int32Array.from(goRight), depth + 1);
      };

      build(addNode(), rows, 0);
      // A branch keeps the value it had as a leaf only for inspection; evaluation reads leaves alone.
      return {
        tree: {
          feature: Int32Array.from(feature),
          threshold: Float32Array.from(threshold),
          left: Int32Array.from(left),
          right: Int32Array.from(right),
          value: Float64Array.from(value),
        },
        splitBin: Int32Array.from(splitBin),
      };
    },
  };
}
