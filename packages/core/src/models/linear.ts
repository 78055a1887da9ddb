import type { CompactLinear } from './compact-model';
import { floatOf, floatsOf, intOf, intsOf, invalid, stringOf, stringsOf, unsupported, type Conversion } from './evaluator';
import { parsePostTransform } from './float-math';
import { ONNX_FLOAT, type OnnxNode, type OnnxTensor } from './onnx-model';

const f = Math.fround;

/**
 * ai.onnx.ml LinearClassifier. With one coefficient row and two class labels onnxruntime writes
 * `[1 − p, p]`, where p is the logistic of the score under LOGISTIC and the raw score under any other
 * transform (SOFTMAX of one score is not applied); with one row per class it transforms the row of scores.
 */
export function toCompactLinearClassifier(node: OnnxNode): Conversion<CompactLinear> {
  const coefficients = Array.from(floatsOf(node, 'coefficients'), f);
  const intercepts = Array.from(floatsOf(node, 'intercepts'), f);
  const targets = intercepts.length;
  if (targets === 0) return invalid('LinearClassifier has no "intercepts"');
  if (coefficients.length === 0 || coefficients.length % targets !== 0) {
    return invalid(`LinearClassifier has ${coefficients.length} coefficients, not a multiple of its ${targets} intercepts`);
  }
  const transform = parsePostTransform(stringOf(node, 'post_transform'));
  if (transform === undefined) return unsupported(`LinearClassifier post_transform "${stringOf(node, 'post_transform')}"`);
  const labels = Math.max(intsOf(node, 'classlabels_ints').length, stringsOf(node, 'classlabels_strings').length);
  const single = targets === 1;
  return {
    ok: true,
    task: 'classifier',
    spec: {
      kind: 'linear',
      width: coefficients.length / targets,
      weights: coefficients,
      bias: intercepts,
      alpha: 1,
      roundProduct: false,
      transform: single && transform !== 'LOGISTIC' ? 'NONE' : transform,
      complement: single && labels === 2,
    },
  };
}

/** ai.onnx.ml LinearRegressor; onnxruntime ignores the post transform when there is one target. */
export function toCompactLinearRegressor(node: OnnxNode): Conversion<CompactLinear> {
  const coefficients = Array.from(floatsOf(node, 'coefficients'), f);
  const targets = intOf(node, 'targets', 1);
  if (targets < 1 || coefficients.length === 0 || coefficients.length % targets !== 0) {
    return invalid(`LinearRegressor has ${coefficients.length} coefficients for ${targets} targets`);
  }
  const given = floatsOf(node, 'intercepts');
  const intercepts = given.length === targets ? Array.from(given, f) : new Array<number>(targets).fill(0);
  const transform = parsePostTransform(stringOf(node, 'post_transform'));
  if (transform === undefined) return unsupported(`LinearRegressor post_transform "${stringOf(node, 'post_transform')}"`);
  return {
    ok: true,
    task: 'regressor',
    spec: { kind: 'linear', width: coefficients.length / targets, weights: coefficients, bias: intercepts, alpha: 1, roundProduct: false, transform: targets > 1 ? transform : 'NONE', complement: false },
  };
}

/** A float initializer's values, or why it cannot be used. */
function floatValues(tensor: OnnxTensor | undefined, what: string): Float32Array | string {
  if (tensor === undefined) return `${what} is not an initializer`;
  if (tensor.dataType !== ONNX_FLOAT || tensor.values === undefined) return `${what} is not an embedded float tensor`;
  return Float32Array.from(tensor.values);
}

/**
 * A logistic or linear regression written with standard operators: `MatMul` (+ `Add`) or `Gemm`, then
 * optionally `Sigmoid`. `nodes` is that chain, already checked to feed one into the next.
 */
export function toCompactLinearGraph(nodes: readonly OnnxNode[], initializers: ReadonlyMap<string, OnnxTensor>): Conversion<CompactLinear> {
  const [first, ...rest] = nodes;
  if (first === undefined) return invalid('empty linear graph');
  let weights: Float32Array;
  let columns: number;
  let width: number;
  let transposed: boolean;
  let alpha = 1;
  let bias: Float32Array = new Float32Array(0);
  let beta = 1;
  const weightTensor = initializers.get(first.inputs[1] ?? '');
  const values = floatValues(weightTensor, `${first.opType} weights "${first.inputs[1]}"`);
  if (typeof values === 'string') return unsupported(values);
  weights = values;
  const dims = weightTensor?.dims ?? [];
  if (first.opType === 'MatMul') {
    if (dims.length === 1) [width, columns] = [dims[0] as number, 1];
    else if (dims.length === 2) [width, columns] = [dims[0] as number, dims[1] as number];
    else return unsupported(`MatMul weights of rank ${dims.length}`);
    transposed = false;
  } else {
    if (intOf(first, 'transA', 0) !== 0) return unsupported('Gemm with transA');
    if (dims.length !== 2) return invalid(`Gemm weights must be 2-D, got rank ${dims.length}`);
    transposed = intOf(first, 'transB', 0) !== 0;
    [width, columns] = transposed ? [dims[1] as number, dims[0] as number] : [dims[0] as number, dims[1] as number];
    alpha = floatOf(first, 'alpha', 1);
    beta = floatOf(first, 'beta', 1);
    if (first.inputs[2]) {
      const c = floatValues(initializers.get(first.inputs[2]), `Gemm bias "${first.inputs[2]}"`);
      if (typeof c === 'string') return unsupported(c);
      bias = c;
    }
  }
  if (weights.length !== width * columns || width < 1 || columns < 1) return invalid(`${first.opType} weights hold ${weights.length} values for shape [${dims.join(', ')}]`);
  let rowWeights = weights;
  if (!transposed) {
    // Store one row of weights per output column, so each score is a contiguous dot product.
    rowWeights = new Float32Array(weights.length);
    for (let j = 0; j < width; j++) for (let k = 0; k < columns; k++) rowWeights[k * width + j] = weights[j * columns + k] as number;
  }
  let sigmoid = false;
  for (const node of rest) {
    if (node.opType === 'Add' && first.opType === 'MatMul' && bias.length === 0 && !sigmoid) {
      const name = node.inputs[0] === first.outputs[0] ? node.inputs[1] : node.inputs[0];
      const b = floatValues(initializers.get(name ?? ''), `Add operand "${name}"`);
      if (typeof b === 'string') return unsupported(b);
      bias = b;
    } else if (node.opType === 'Sigmoid' && !sigmoid) sigmoid = true;
    else return unsupported(`${node.opType} in a linear graph`);
  }
  if (bias.length !== 0 && bias.length !== 1 && bias.length !== columns) return unsupported(`a bias of ${bias.length} values for ${columns} outputs`);
  const gemm = first.opType === 'Gemm';
  const biasAt = (k: number) => (bias.length === 0 ? 0 : (bias[bias.length === 1 ? 0 : k] as number));
  return {
    ok: true,
    task: sigmoid ? 'classifier' : 'regressor',
    spec: {
      kind: 'linear',
      width,
      weights: Array.from(rowWeights),
      // MatMul and Add are separate kernels (two float roundings); Gemm adds beta·C inside the product.
      bias: Array.from({ length: columns }, (_, k) => (gemm ? f(beta * biasAt(k)) : biasAt(k))),
      alpha: gemm ? alpha : 1,
      roundProduct: !gemm,
      transform: sigmoid ? 'LOGISTIC' : 'NONE',
      complement: false,
    },
  };
}
