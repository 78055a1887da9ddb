import { logistic, parsePostTransform, transformScores } from './float-math';
import { floatOf, floatsOf, intOf, intsOf, invalid, stringOf, stringsOf, unsupported, type CompileResult } from './evaluator';
import { ONNX_FLOAT, type OnnxNode, type OnnxTensor } from './onnx-model';

const f = Math.fround;

/** Σ x·w + bias over one row, accumulated in double and rounded once (onnxruntime's sgemm is at least as exact). */
function dot(input: Float32Array, offset: number, weights: Float32Array, from: number, width: number): number {
  let sum = 0;
  for (let j = 0; j < width; j++) sum += (input[offset + j] as number) * (weights[from + j] as number);
  return sum;
}

/**
 * ai.onnx.ml LinearClassifier. With one coefficient row and two class labels onnxruntime writes
 * `[1 − p, p]`, where p is the logistic of the score under LOGISTIC and the raw score under any other
 * transform (SOFTMAX of one score is not applied); with one row per class it transforms the row of scores.
 */
export function compileLinearClassifier(node: OnnxNode): CompileResult {
  const coefficients = Float32Array.from(floatsOf(node, 'coefficients'));
  const intercepts = Float32Array.from(floatsOf(node, 'intercepts'));
  const targets = intercepts.length;
  if (targets === 0) return invalid('LinearClassifier has no "intercepts"');
  if (coefficients.length === 0 || coefficients.length % targets !== 0) {
    return invalid(`LinearClassifier has ${coefficients.length} coefficients, not a multiple of its ${targets} intercepts`);
  }
  const transform = parsePostTransform(stringOf(node, 'post_transform'));
  if (transform === undefined) return unsupported(`LinearClassifier post_transform "${stringOf(node, 'post_transform')}"`);
  const labels = Math.max(intsOf(node, 'classlabels_ints').length, stringsOf(node, 'classlabels_strings').length);
  const width = coefficients.length / targets;
  if (targets === 1) {
    const twoColumns = labels === 2;
    return {
      ok: true,
      task: 'classifier',
      columns: twoColumns ? 2 : 1,
      reads: { count: width, exact: true },
      evaluate(input, offset, out) {
        const score = f(dot(input, offset, coefficients, 0, width) + (intercepts[0] as number));
        const p = transform === 'LOGISTIC' ? logistic(score) : score;
        if (twoColumns) {
          out[0] = f(1 - p);
          out[1] = p;
        } else out[0] = p;
      },
    };
  }
  return {
    ok: true,
    task: 'classifier',
    columns: targets,
    reads: { count: width, exact: true },
    evaluate(input, offset, out) {
      for (let k = 0; k < targets; k++) out[k] = f(dot(input, offset, coefficients, k * width, width) + (intercepts[k] as number));
      transformScores(transform, out, 0, targets);
    },
  };
}

/** ai.onnx.ml LinearRegressor; onnxruntime ignores the post transform when there is one target. */
export function compileLinearRegressor(node: OnnxNode): CompileResult {
  const coefficients = Float32Array.from(floatsOf(node, 'coefficients'));
  const targets = intOf(node, 'targets', 1);
  if (targets < 1 || coefficients.length === 0 || coefficients.length % targets !== 0) {
    return invalid(`LinearRegressor has ${coefficients.length} coefficients for ${targets} targets`);
  }
  const given = floatsOf(node, 'intercepts');
  const intercepts = given.length === targets ? Float32Array.from(given) : new Float32Array(targets);
  const transform = parsePostTransform(stringOf(node, 'post_transform'));
  if (transform === undefined) return unsupported(`LinearRegressor post_transform "${stringOf(node, 'post_transform')}"`);
  const width = coefficients.length / targets;
  return {
    ok: true,
    task: 'regressor',
    columns: targets,
    reads: { count: width, exact: true },
    evaluate(input, offset, out) {
      for (let k = 0; k < targets; k++) out[k] = f(dot(input, offset, coefficients, k * width, width) + (intercepts[k] as number));
      if (targets > 1) transformScores(transform, out, 0, targets);
    },
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
export function compileLinearGraph(nodes: readonly OnnxNode[], initializers: ReadonlyMap<string, OnnxTensor>): CompileResult {
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
    columns,
    reads: { count: width, exact: true },
    evaluate(input, offset, out) {
      for (let k = 0; k < columns; k++) {
        const product = dot(input, offset, rowWeights, k * width, width);
        // MatMul and Add are separate kernels (two float roundings); Gemm adds beta·C inside the product.
        const score = gemm ? f(alpha * product + f(beta * biasAt(k))) : f(f(product) + biasAt(k));
        out[k] = sigmoid ? logistic(score) : score;
      }
    },
  };
}
