import onnxProto from 'onnx-proto';

/**
 * ONNX models authored in TypeScript for tests and benchmarks: seeded, small, never downloaded.
 * Each builder returns the serialized model plus what a test needs to probe it (feature count and the
 * values worth hitting exactly, such as tree thresholds).
 */
const { onnx } = onnxProto;
type Attribute = onnxProto.onnx.IAttributeProto;
type Node = onnxProto.onnx.INodeProto;
type Tensor = onnxProto.onnx.ITensorProto;
type ValueInfo = onnxProto.onnx.IValueInfoProto;

export type PostTransform = 'NONE' | 'LOGISTIC' | 'SOFTMAX' | 'SOFTMAX_ZERO' | 'PROBIT';
export type NodeMode = 'BRANCH_LEQ' | 'BRANCH_LT' | 'BRANCH_GTE' | 'BRANCH_GT' | 'BRANCH_EQ' | 'BRANCH_NEQ';
export const NODE_MODES: readonly NodeMode[] = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ'];

export interface TestModel {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly featureCount: number;
  readonly task: 'classifier' | 'regressor';
  /** Per feature, values a row should sometimes hold exactly (tree thresholds, as float32). */
  readonly edgeValues: readonly (readonly number[])[];
}

/** mulberry32: a small seeded generator, so the same seed always builds the same model and rows. */
export function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ML = 'ai.onnx.ml';
const utf8 = (text: string) => new TextEncoder().encode(text);

const { AttributeType } = onnx.AttributeProto;
const floats = (name: string, values: readonly number[]): Attribute => ({ name, type: AttributeType.FLOATS, floats: [...values] });
const ints = (name: string, values: readonly number[]): Attribute => ({ name, type: AttributeType.INTS, ints: [...values] });
const int = (name: string, i: number): Attribute => ({ name, type: AttributeType.INT, i });
const float = (name: string, f: number): Attribute => ({ name, type: AttributeType.FLOAT, f });
const string = (name: string, value: string): Attribute => ({ name, type: AttributeType.STRING, s: utf8(value) });
const strings = (name: string, values: readonly string[]): Attribute => ({ name, type: AttributeType.STRINGS, strings: values.map(utf8) });

const tensorInfo = (name: string, elemType: number, dims: ReadonlyArray<number | string>): ValueInfo => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const STRING = onnx.TensorProto.DataType.STRING;

/** A float initializer, stored as raw little-endian bytes or in float_data. */
function floatTensor(name: string, dims: number[], values: readonly number[], raw = true): Tensor {
  if (!raw) return { name, dims, dataType: FLOAT, floatData: [...values] };
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setFloat32(i * 4, value, true));
  return { name, dims, dataType: FLOAT, rawData: bytes };
}

interface ModelParts {
  readonly name: string;
  readonly nodes: Node[];
  readonly inputs: ValueInfo[];
  readonly outputs: ValueInfo[];
  readonly initializers?: Tensor[];
  readonly metadata?: Readonly<Record<string, string>>;
  readonly modelVersion?: number;
}

function encodeModel(parts: ModelParts): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'tailor-test-utils',
    modelVersion: parts.modelVersion ?? 1,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: ML, version: 3 },
    ],
    metadataProps: Object.entries(parts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: { name: parts.name, node: parts.nodes, input: parts.inputs, output: parts.outputs, initializer: parts.initializers ?? [] },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** The metadata Tailor reads: id, version and feature names. */
export function tailorMetadata(id: string, features: number, version = '1'): Record<string, string> {
  return {
    'tailor.model_id': id,
    'tailor.model_version': version,
    'tailor.feature_names': JSON.stringify(Array.from({ length: features }, (_, i) => `feature_${i}`)),
  };
}

const round = (value: number, places = 3) => Math.fround(Number(value.toFixed(places)));
const noEdges = (features: number) => Array.from({ length: features }, () => [] as number[]);

function classifierOutputs(classes: number, labels: 'ints' | 'strings', zipMap: boolean): { nodes: Node[]; outputs: ValueInfo[] } {
  const label = tensorInfo('label', labels === 'ints' ? INT64 : STRING, ['N']);
  if (!zipMap) return { nodes: [], outputs: [label, tensorInfo('probabilities', FLOAT, ['N', classes])] };
  const keyType = labels === 'ints' ? INT64 : STRING;
  const zipped: ValueInfo = {
    name: 'output_probability',
    type: { sequenceType: { elemType: { mapType: { keyType, valueType: { tensorType: { elemType: FLOAT } } } } } },
  };
  const attribute = labels === 'ints' ? ints('classlabels_int64s', [0, 1]) : strings('classlabels_strings', ['no', 'yes']);
  return {
    nodes: [{ opType: 'ZipMap', domain: ML, input: ['probabilities'], output: ['output_probability'], attribute: [attribute] }],
    outputs: [label, zipped],
  };
}

export interface LinearClassifierModelOptions {
  readonly seed: number;
  readonly features?: number;
  /** One coefficient row (onnxruntime writes `[1 − s, s]`) or two (one per class, as skl2onnx exports). */
  readonly rows?: 1 | 2 | 3;
  readonly postTransform?: PostTransform;
  readonly labels?: 'ints' | 'strings';
  readonly zipMap?: boolean;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** ai.onnx.ml LinearClassifier with seeded coefficients. */
export function buildLinearClassifierModel(options: LinearClassifierModelOptions): TestModel {
  const next = createSeededRandom(options.seed);
  const features = options.features ?? 6;
  const rows = options.rows ?? 1;
  const labels = options.labels ?? 'ints';
  const classes = rows === 3 ? 3 : 2;
  const weights = Array.from({ length: features }, () => round(next() * 2 - 1));
  const bias = round(next() - 0.5);
  const coefficients = rows === 2 ? [...weights.map((w) => -w), ...weights] : rows === 1 ? weights : Array.from({ length: 3 * features }, () => round(next() * 2 - 1));
  const intercepts = rows === 2 ? [-bias, bias] : rows === 1 ? [bias] : [bias, round(next() - 0.5), round(next() - 0.5)];
  const labelAttribute =
    labels === 'ints'
      ? ints('classlabels_ints', Array.from({ length: classes }, (_, i) => i))
      : strings('classlabels_strings', ['no', 'yes', 'maybe'].slice(0, classes));
  const { nodes, outputs } = classifierOutputs(classes, labels, options.zipMap ?? false);
  const name = `linear-classifier-${rows}row-${options.postTransform ?? 'LOGISTIC'}`;
  const bytes = encodeModel({
    name,
    nodes: [
      {
        opType: 'LinearClassifier',
        domain: ML,
        input: ['features'],
        output: ['label', 'probabilities'],
        attribute: [floats('coefficients', coefficients), floats('intercepts', intercepts), string('post_transform', options.postTransform ?? 'LOGISTIC'), int('multi_class', 0), labelAttribute],
      },
      ...nodes,
    ],
    inputs: [tensorInfo('features', FLOAT, ['N', features])],
    outputs,
    metadata: options.metadata ?? tailorMetadata(name, features),
  });
  return { name, bytes, featureCount: features, task: 'classifier', edgeValues: noEdges(features) };
}

/** ai.onnx.ml LinearRegressor (one target). */
export function buildLinearRegressorModel(options: { seed: number; features?: number; metadata?: Readonly<Record<string, string>> }): TestModel {
  const next = createSeededRandom(options.seed);
  const features = options.features ?? 6;
  const coefficients = Array.from({ length: features }, () => round(next() * 4 - 2));
  const name = 'linear-regressor';
  const bytes = encodeModel({
    name,
    nodes: [
      {
        opType: 'LinearRegressor',
        domain: ML,
        input: ['features'],
        output: ['variable'],
        attribute: [floats('coefficients', coefficients), floats('intercepts', [round(next() * 10)]), int('targets', 1)],
      },
    ],
    inputs: [tensorInfo('features', FLOAT, ['N', features])],
    outputs: [tensorInfo('variable', FLOAT, ['N', 1])],
    metadata: options.metadata ?? tailorMetadata(name, features),
  });
  return { name, bytes, featureCount: features, task: 'regressor', edgeValues: noEdges(features) };
}

export interface LogisticGraphModelOptions {
  readonly seed: number;
  readonly features?: number;
  /** `matmul`: MatMul + Add + Sigmoid; `gemm`: Gemm (alpha, beta, transB) + Sigmoid. */
  readonly form: 'matmul' | 'gemm';
  /** Put an ai.onnx.ml Scaler in front. */
  readonly scaler?: boolean;
  /** Leave out the Sigmoid: a linear regression graph. */
  readonly sigmoid?: boolean;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** A logistic regression written with standard ops, as PyTorch or a hand export would produce it. */
export function buildLogisticGraphModel(options: LogisticGraphModelOptions): TestModel {
  const next = createSeededRandom(options.seed);
  const features = options.features ?? 6;
  const weights = Array.from({ length: features }, () => round(next() * 2 - 1));
  const bias = round(next() - 0.5);
  const sigmoid = options.sigmoid ?? true;
  const nodes: Node[] = [];
  const initializers: Tensor[] = [];
  let input = 'features';
  if (options.scaler) {
    const offset = Array.from({ length: features }, () => round(next() * 2 - 1));
    const scale = Array.from({ length: features }, () => round(0.5 + next()));
    nodes.push({ opType: 'Scaler', domain: ML, input: ['features'], output: ['scaled'], attribute: [floats('offset', offset), floats('scale', scale)] });
    input = 'scaled';
  }
  const logit = sigmoid ? 'logit' : 'score';
  if (options.form === 'matmul') {
    initializers.push(floatTensor('weights', [features, 1], weights), floatTensor('bias', [1], [bias], false));
    nodes.push({ opType: 'MatMul', input: [input, 'weights'], output: ['product'] });
    nodes.push({ opType: 'Add', input: ['product', 'bias'], output: [logit] });
  } else {
    // transB = 1 stores the weights as one row per output; alpha and beta scale the product and the bias.
    initializers.push(floatTensor('weights', [1, features], weights), floatTensor('bias', [1], [bias]));
    nodes.push({ opType: 'Gemm', input: [input, 'weights', 'bias'], output: [logit], attribute: [float('alpha', 0.5), float('beta', 2), int('transB', 1)] });
  }
  if (sigmoid) nodes.push({ opType: 'Sigmoid', input: ['logit'], output: ['score'] });
  const name = `${options.form}${options.scaler ? '-scaler' : ''}${sigmoid ? '-sigmoid' : ''}`;
  const bytes = encodeModel({
    name,
    nodes,
    initializers,
    inputs: [tensorInfo('features', FLOAT, ['N', features])],
    outputs: [tensorInfo('score', FLOAT, ['N', 1])],
    metadata: options.metadata ?? tailorMetadata(name, features),
  });
  return { name, bytes, featureCount: features, task: sigmoid ? 'classifier' : 'regressor', edgeValues: noEdges(features) };
}

/** A graph Tailor's evaluators do not run (a hidden layer with Relu): the onnxruntime fallback case. */
export function buildHiddenLayerModel(options: { seed: number; features?: number; hidden?: number }): TestModel {
  const next = createSeededRandom(options.seed);
  const features = options.features ?? 6;
  const hidden = options.hidden ?? 4;
  const w1 = Array.from({ length: features * hidden }, () => round(next() * 2 - 1));
  const w2 = Array.from({ length: hidden }, () => round(next() * 2 - 1));
  const name = 'hidden-layer';
  const bytes = encodeModel({
    name,
    nodes: [
      { opType: 'MatMul', input: ['features', 'w1'], output: ['h'] },
      { opType: 'Relu', input: ['h'], output: ['a'] },
      { opType: 'MatMul', input: ['a', 'w2'], output: ['z'] },
      { opType: 'Add', input: ['z', 'b2'], output: ['logit'] },
      { opType: 'Sigmoid', input: ['logit'], output: ['score'] },
    ],
    initializers: [floatTensor('w1', [features, hidden], w1), floatTensor('w2', [hidden, 1], w2), floatTensor('b2', [1], [round(next() - 0.5)])],
    inputs: [tensorInfo('features', FLOAT, ['N', features])],
    outputs: [tensorInfo('score', FLOAT, ['N', 1])],
    metadata: tailorMetadata(name, features),
  });
  return { name, bytes, featureCount: features, task: 'classifier', edgeValues: noEdges(features) };
}

interface BuiltTrees {
  readonly attributes: Attribute[];
  readonly edgeValues: number[][];
  /** Leaves as (tree id, node id), in the order their weights should be written. */
  readonly leaves: Array<{ tree: number; node: number }>;
}

/**
 * Random trees, nodes listed root first with ids local to each tree (what converters write). Thresholds
 * come from a small grid so rows can hit them exactly and BRANCH_EQ/NEQ nodes are meaningful.
 */
function buildTrees(next: () => number, features: number, trees: number, depth: number, modes: readonly NodeMode[], missingTracksTrue: boolean): BuiltTrees {
  const columns = {
    treeIds: [] as number[], nodeIds: [] as number[], featureIds: [] as number[], values: [] as number[], modes: [] as string[],
    trueIds: [] as number[], falseIds: [] as number[], missing: [] as number[],
  };
  const edgeValues = Array.from({ length: features }, () => new Set<number>());
  const leaves: Array<{ tree: number; node: number }> = [];
  for (let tree = 0; tree < trees; tree++) {
    let nextId = 0;
    // Breadth-first, so ids are assigned in the order nodes are written and the root comes first.
    const queue: Array<{ id: number; level: number }> = [{ id: nextId++, level: 0 }];
    while (queue.length > 0) {
      const { id, level } = queue.shift() as { id: number; level: number };
      const leaf = level >= depth || (level >= 2 && next() < 0.2);
      const write = (feature: number, value: number, mode: string, trueId: number, falseId: number, missing: number) => {
        columns.treeIds.push(tree);
        columns.nodeIds.push(id);
        columns.featureIds.push(feature);
        columns.values.push(value);
        columns.modes.push(mode);
        columns.trueIds.push(trueId);
        columns.falseIds.push(falseId);
        columns.missing.push(missing);
      };
      if (leaf) {
        write(0, 0, 'LEAF', 0, 0, 0);
        leaves.push({ tree, node: id });
        continue;
      }
      const feature = Math.floor(next() * features);
      const threshold = Math.fround(Math.round(next() * 8 - 4) / 2);
      edgeValues[feature]?.add(threshold);
      const trueId = nextId++;
      const falseId = nextId++;
      const mode = modes[Math.floor(next() * modes.length)] as string;
      write(feature, threshold, mode, trueId, falseId, missingTracksTrue && next() < 0.5 ? 1 : 0);
      queue.push({ id: trueId, level: level + 1 }, { id: falseId, level: level + 1 });
    }
  }
  const attributes = [
    ints('nodes_treeids', columns.treeIds),
    ints('nodes_nodeids', columns.nodeIds),
    ints('nodes_featureids', columns.featureIds),
    floats('nodes_values', columns.values),
    strings('nodes_modes', columns.modes),
    ints('nodes_truenodeids', columns.trueIds),
    ints('nodes_falsenodeids', columns.falseIds),
    floats('nodes_hitrates', columns.values.map(() => 1)),
    ints('nodes_missing_value_tracks_true', columns.missing),
  ];
  return { attributes, edgeValues: edgeValues.map((set) => [...set].sort((a, b) => a - b)), leaves };
}

const modeSuffix = (modes: readonly NodeMode[] | undefined) => (modes?.length === 1 ? `-${modes[0]}` : '');

export interface TreeEnsembleClassifierModelOptions {
  readonly seed: number;
  readonly features?: number;
  readonly trees?: number;
  readonly depth?: number;
  readonly postTransform?: PostTransform;
  /**
   * Which classes leaves vote for: `class-0` or `class-1` (one weight per leaf, mixed signs, as boosted
   * trees are exported), `both` (a positive weight for each of two classes, as random forests are), or
   * `three` (three classes).
   */
  readonly weights?: 'class-0' | 'class-1' | 'both' | 'three';
  /** Single-class votes all ≥ 0 (onnxruntime then writes `[1 − s, s]` instead of a logistic pair). */
  readonly positiveWeights?: boolean;
  readonly baseValues?: readonly number[];
  readonly modes?: readonly NodeMode[];
  readonly missingTracksTrue?: boolean;
  readonly labels?: 'ints' | 'strings';
  readonly zipMap?: boolean;
}

/** ai.onnx.ml TreeEnsembleClassifier with seeded random trees. */
export function buildTreeEnsembleClassifierModel(options: TreeEnsembleClassifierModelOptions): TestModel {
  const next = createSeededRandom(options.seed);
  const features = options.features ?? 6;
  const layout = options.weights ?? 'class-0';
  const built = buildTrees(next, features, options.trees ?? 8, options.depth ?? 4, options.modes ?? NODE_MODES, options.missingTracksTrue ?? true);
  const classIds: number[] = [];
  const nodeIds: number[] = [];
  const treeIds: number[] = [];
  const weights: number[] = [];
  const classes = layout === 'three' ? 3 : 2;
  const vote = () => (options.positiveWeights ? round(next() / 4) : round(next() * 2 - 1));
  for (const leaf of built.leaves) {
    const votes =
      layout === 'class-0' ? [[0, vote()]]
        : layout === 'class-1' ? [[1, vote()]]
          : Array.from({ length: classes }, (_, c) => [c, round(next())]);
    for (const [classId, weight] of votes) {
      classIds.push(classId as number);
      nodeIds.push(leaf.node);
      treeIds.push(leaf.tree);
      weights.push(weight as number);
    }
  }
  const labels = options.labels ?? 'ints';
  const labelAttribute =
    labels === 'ints'
      ? ints('classlabels_int64s', Array.from({ length: classes }, (_, i) => i))
      : strings('classlabels_strings', ['no', 'yes', 'maybe'].slice(0, classes));
  const attributes = [
    ...built.attributes,
    ints('class_ids', classIds),
    ints('class_nodeids', nodeIds),
    ints('class_treeids', treeIds),
    floats('class_weights', weights),
    string('post_transform', options.postTransform ?? 'LOGISTIC'),
    labelAttribute,
  ];
  if (options.baseValues !== undefined) attributes.push(floats('base_values', options.baseValues));
  const { nodes, outputs } = classifierOutputs(classes, labels, options.zipMap ?? false);
  const name = `tree-classifier-${layout}${options.positiveWeights ? '-positive' : ''}-base${options.baseValues?.length ?? 0}-${options.postTransform ?? 'LOGISTIC'}${modeSuffix(options.modes)}`;
  const bytes = encodeModel({
    name,
    nodes: [{ opType: 'TreeEnsembleClassifier', domain: ML, input: ['features'], output: ['label', 'probabilities'], attribute: attributes }, ...nodes],
    inputs: [tensorInfo('features', FLOAT, ['N', features])],
    outputs,
    metadata: tailorMetadata(name, features),
  });
  return { name, bytes, featureCount: features, task: 'classifier', edgeValues: built.edgeValues };
}

export interface TreeEnsembleRegressorModelOptions {
  readonly seed: number;
  readonly features?: number;
  readonly trees?: number;
  readonly depth?: number;
  readonly aggregate?: 'SUM' | 'AVERAGE' | 'MIN' | 'MAX';
  readonly postTransform?: PostTransform;
  readonly baseValues?: readonly number[];
  readonly modes?: readonly NodeMode[];
  readonly missingTracksTrue?: boolean;
}

/** ai.onnx.ml TreeEnsembleRegressor (one target) with seeded random trees. */
export function buildTreeEnsembleRegressorModel(options: TreeEnsembleRegressorModelOptions): TestModel {
  const next = createSeededRandom(options.seed);
  const features = options.features ?? 6;
  const built = buildTrees(next, features, options.trees ?? 8, options.depth ?? 4, options.modes ?? NODE_MODES, options.missingTracksTrue ?? true);
  const attributes = [
    ...built.attributes,
    ints('target_ids', built.leaves.map(() => 0)),
    ints('target_nodeids', built.leaves.map((leaf) => leaf.node)),
    ints('target_treeids', built.leaves.map((leaf) => leaf.tree)),
    floats('target_weights', built.leaves.map(() => round(next() * 10 - 5))),
    int('n_targets', 1),
    string('aggregate_function', options.aggregate ?? 'SUM'),
    string('post_transform', options.postTransform ?? 'NONE'),
  ];
  if (options.baseValues !== undefined) attributes.push(floats('base_values', options.baseValues));
  const name = `tree-regressor-${options.aggregate ?? 'SUM'}-base${options.baseValues?.length ?? 0}${modeSuffix(options.modes)}`;
  const bytes = encodeModel({
    name,
    nodes: [{ opType: 'TreeEnsembleRegressor', domain: ML, input: ['features'], output: ['variable'], attribute: attributes }],
    inputs: [tensorInfo('features', FLOAT, ['N', features])],
    outputs: [tensorInfo('variable', FLOAT, ['N', 1])],
    metadata: tailorMetadata(name, features),
  });
  return { name, bytes, featureCount: features, task: 'regressor', edgeValues: built.edgeValues };
}

/**
 * Seeded rows for a model, row-major: mostly values in [-3, 3], and at fixed rates a tree threshold exactly,
 * NaN (a missing value), or a large magnitude (±1e3…1e6).
 */
export function generateRows(model: TestModel, rows: number, seed: number, rates: { edge?: number; missing?: number; large?: number } = {}): Float32Array {
  const next = createSeededRandom(seed);
  const edge = rates.edge ?? 0.25;
  const missing = rates.missing ?? 0.05;
  const large = rates.large ?? 0.02;
  const out = new Float32Array(rows * model.featureCount);
  for (let i = 0; i < out.length; i++) {
    const candidates = model.edgeValues[i % model.featureCount] ?? [];
    const draw = next();
    if (draw < missing) out[i] = Number.NaN;
    else if (draw < missing + large) out[i] = (next() < 0.5 ? -1 : 1) * 10 ** (3 + Math.floor(next() * 4));
    else if (draw < missing + large + edge && candidates.length > 0) out[i] = candidates[Math.floor(next() * candidates.length)] as number;
    else out[i] = next() * 6 - 3;
  }
  return out;
}

export interface ExplicitTreeNode {
  readonly tree?: number;
  readonly id: number;
  readonly mode: NodeMode | 'LEAF';
  readonly feature?: number;
  readonly threshold?: number;
  readonly trueId?: number;
  readonly falseId?: number;
  readonly missingTrue?: boolean;
  /** A leaf's value. */
  readonly weight?: number;
}

/** A TreeEnsembleRegressor written node by node, for tests that need to know exactly where each row lands. */
export function buildExplicitTreeRegressorModel(nodes: readonly ExplicitTreeNode[], options: { features: number; aggregate?: 'SUM' | 'AVERAGE' | 'MIN' | 'MAX'; baseValues?: readonly number[]; metadata?: Readonly<Record<string, string>> }): TestModel {
  const leaves = nodes.filter((node) => node.mode === 'LEAF');
  const attributes = [
    ints('nodes_treeids', nodes.map((node) => node.tree ?? 0)),
    ints('nodes_nodeids', nodes.map((node) => node.id)),
    ints('nodes_featureids', nodes.map((node) => node.feature ?? 0)),
    floats('nodes_values', nodes.map((node) => node.threshold ?? 0)),
    strings('nodes_modes', nodes.map((node) => node.mode)),
    ints('nodes_truenodeids', nodes.map((node) => node.trueId ?? 0)),
    ints('nodes_falsenodeids', nodes.map((node) => node.falseId ?? 0)),
    ints('nodes_missing_value_tracks_true', nodes.map((node) => (node.missingTrue ? 1 : 0))),
    ints('target_ids', leaves.map(() => 0)),
    ints('target_nodeids', leaves.map((leaf) => leaf.id)),
    ints('target_treeids', leaves.map((leaf) => leaf.tree ?? 0)),
    floats('target_weights', leaves.map((leaf) => leaf.weight ?? 0)),
    int('n_targets', 1),
    string('aggregate_function', options.aggregate ?? 'SUM'),
  ];
  if (options.baseValues !== undefined) attributes.push(floats('base_values', options.baseValues));
  const name = 'explicit-trees';
  const bytes = encodeModel({
    name,
    nodes: [{ opType: 'TreeEnsembleRegressor', domain: ML, input: ['features'], output: ['variable'], attribute: attributes }],
    inputs: [tensorInfo('features', FLOAT, ['N', options.features])],
    outputs: [tensorInfo('variable', FLOAT, ['N', 1])],
    ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
  });
  const edgeValues = noEdges(options.features);
  for (const node of nodes) if (node.mode !== 'LEAF') edgeValues[node.feature ?? 0]?.push(Math.fround(node.threshold ?? 0));
  return { name, bytes, featureCount: options.features, task: 'regressor', edgeValues };
}
