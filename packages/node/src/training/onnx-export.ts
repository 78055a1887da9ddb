import { TailorError } from '@tailor/core';
import type { LinearModel, TrainedModel, TreeEnsembleModel } from './model';
import { ProtoWriter } from './protobuf-writer';

/*
 * Field numbers from onnx/onnx.proto3 (ModelProto, GraphProto, NodeProto, AttributeProto, ValueInfoProto,
 * TypeProto, TensorShapeProto). The model declares IR version 8 and opsets ai.onnx 17 + ai.onnx.ml 3: the
 * last ML opset where TreeEnsembleClassifier is current (opset 5 replaces it by TreeEnsemble), read by
 * onnxruntime 1.30 and by Tailor's evaluator.
 */
const IR_VERSION = 8;
const ML_DOMAIN = 'ai.onnx.ml';
const ONNX_FLOAT = 1;
const ONNX_INT64 = 7;
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_STRING = 3;
const ATTRIBUTE_FLOATS = 6;
const ATTRIBUTE_INTS = 7;
const ATTRIBUTE_STRINGS = 8;

/** Metadata keys written next to the ones core's loader reads (`tailor.model_id`, `tailor.model_version`, `tailor.feature_names`). */
export const METADATA = Object.freeze({
  modelId: 'tailor.model_id',
  modelVersion: 'tailor.model_version',
  featureNames: 'tailor.feature_names',
  task: 'tailor.task',
  trainingWindow: 'tailor.training_window',
  referenceBins: 'tailor.reference_bins',
  metrics: 'tailor.metrics',
  calibration: 'tailor.calibration',
  label: 'tailor.label',
});

export interface OnnxExportOptions {
  readonly modelId: string;
  /** Written as `tailor.model_version` and, when it is a positive integer, as ModelProto.model_version. */
  readonly modelVersion: string;
  /** More `tailor.*` entries (JSON strings): training window, reference bins, metrics, calibration… */
  readonly metadata?: Readonly<Record<string, string>>;
  /** ModelProto.doc_string. */
  readonly description?: string;
}

type Attribute =
  | { readonly name: string; readonly type: typeof ATTRIBUTE_FLOAT; readonly value: number }
  | { readonly name: string; readonly type: typeof ATTRIBUTE_INT; readonly value: number }
  | { readonly name: string; readonly type: typeof ATTRIBUTE_STRING; readonly value: string }
  | { readonly name: string; readonly type: typeof ATTRIBUTE_FLOATS; readonly value: ArrayLike<number> }
  | { readonly name: string; readonly type: typeof ATTRIBUTE_INTS; readonly value: ArrayLike<number> }
  | { readonly name: string; readonly type: typeof ATTRIBUTE_STRINGS; readonly value: readonly string[] };

const floats = (name: string, value: ArrayLike<number>): Attribute => ({ name, type: ATTRIBUTE_FLOATS, value });
const ints = (name: string, value: ArrayLike<number>): Attribute => ({ name, type: ATTRIBUTE_INTS, value });
const strings = (name: string, value: readonly string[]): Attribute => ({ name, type: ATTRIBUTE_STRINGS, value });
const text = (name: string, value: string): Attribute => ({ name, type: ATTRIBUTE_STRING, value });

function writeAttribute(writer: ProtoWriter, attribute: Attribute): void {
  writer.string(1, attribute.name);
  switch (attribute.type) {
    case ATTRIBUTE_FLOAT:
      writer.float(2, attribute.value);
      break;
    case ATTRIBUTE_INT:
      writer.varint(3, attribute.value);
      break;
    case ATTRIBUTE_STRING:
      writer.string(4, attribute.value);
      break;
    case ATTRIBUTE_FLOATS:
      writer.packedFloats(7, attribute.value);
      break;
    case ATTRIBUTE_INTS:
      writer.packedVarints(8, attribute.value);
      break;
    case ATTRIBUTE_STRINGS:
      for (const value of attribute.value) writer.string(9, value);
      break;
  }
  writer.varint(20, attribute.type);
}

/** A tensor value info: element type and shape, `'N'` naming the batch dimension. */
function writeValueInfo(writer: ProtoWriter, name: string, elemType: number, dims: ReadonlyArray<number | string>): void {
  writer.string(1, name);
  writer.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.varint(1, elemType);
      tensor.message(2, (shape) => {
        for (const dim of dims) shape.message(1, (d) => (typeof dim === 'number' ? d.varint(1, dim) : d.string(2, dim)));
      });
    }),
  );
}

/** The one ai.onnx.ml classifier node (outputs `label` and `probabilities`). */
function classifierNode(model: TrainedModel): { opType: string; attributes: Attribute[] } {
  return model.kind === 'logistic' ? linearClassifier(model) : treeEnsembleClassifier(model);
}

/** One coefficient row and two class labels: onnxruntime writes `[1 − p, p]` with p = σ(w·x + b). */
function linearClassifier(model: LinearModel): { opType: string; attributes: Attribute[] } {
  return {
    opType: 'LinearClassifier',
    attributes: [
      floats('coefficients', Float32Array.from(model.weights)),
      floats('intercepts', Float32Array.of(model.intercept)),
      ints('classlabels_ints', [0, 1]),
      text('post_transform', 'LOGISTIC'),
      { name: 'multi_class', type: ATTRIBUTE_INT, value: 0 },
    ],
  };
}

/**
 * The layout converters write for binary boosted trees (skl2onnx's GradientBoostingClassifier): every leaf
 * votes for class 0 and one base value, so onnxruntime's binary case gives `[σ(−s), σ(s)]` (or `[1 − σ(s), σ(s)]`)
 * with s = base + Σ leaf values. Leaves carry no split; branches send `x <= threshold` to the true child and
 * NaN to the false child (`nodes_missing_value_tracks_true` 0), as {@link evaluateTree} does.
 */
function treeEnsembleClassifier(model: TreeEnsembleModel): { opType: string; attributes: Attribute[] } {
  const nodeTrees: number[] = [];
  const nodeIds: number[] = [];
  const features: number[] = [];
  const thresholds: number[] = [];
  const modes: string[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const leafTrees: number[] = [];
  const leafIds: number[] = [];
  const leafWeights: number[] = [];
  model.trees.forEach((tree, treeId) => {
    for (let i = 0; i < tree.feature.length; i++) {
      const leaf = (tree.feature[i] as number) < 0;
      nodeTrees.push(treeId);
      nodeIds.push(i);
      features.push(leaf ? 0 : (tree.feature[i] as number));
      thresholds.push(leaf ? 0 : (tree.threshold[i] as number));
      modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      trueIds.push(leaf ? 0 : (tree.left[i] as number));
      falseIds.push(leaf ? 0 : (tree.right[i] as number));
      if (leaf) {
        leafTrees.push(treeId);
        leafIds.push(i);
        leafWeights.push(tree.value[i] as number);
      }
    }
  });
  return {
    opType: 'TreeEnsembleClassifier',
    attributes: [
      ints('nodes_treeids', nodeTrees),
      ints('nodes_nodeids', nodeIds),
      ints('nodes_featureids', features),
      floats('nodes_values', Float32Array.from(thresholds)),
      strings('nodes_modes', modes),
      ints('nodes_truenodeids', trueIds),
      ints('nodes_falsenodeids', falseIds),
      ints('nodes_missing_value_tracks_true', new Array<number>(nodeIds.length).fill(0)),
      ints('class_treeids', leafTrees),
      ints('class_nodeids', leafIds),
      ints('class_ids', new Array<number>(leafIds.length).fill(0)),
      floats('class_weights', Float32Array.from(leafWeights)),
      ints('classlabels_int64s', [0, 1]),
      floats('base_values', Float32Array.of(model.base)),
      text('post_transform', 'LOGISTIC'),
    ],
  };
}

/**
 * Writes a trained model as an ONNX file: one input `features` (float, `[N, features]`), an ai.onnx.ml
 * LinearClassifier or TreeEnsembleClassifier, outputs `label` (int64 `[N]`) and `probabilities`
 * (float `[N, 2]`, column 1 the positive class), and metadata_props `tailor.model_id`, `tailor.model_version`,
 * `tailor.feature_names` (a JSON array), `tailor.task` and any `options.metadata`. Loads with core's
 * `loadModel` and with onnxruntime. Throws a {@link TailorError} for a model that cannot be written.
 *
 * @example
 * const bytes = exportOnnx(model, { modelId: 'purchase-7d', modelVersion: '3', metadata: { 'tailor.metrics': JSON.stringify(metrics) } });
 */
export function exportOnnx(model: TrainedModel, options: OnnxExportOptions): Uint8Array {
  const width = model.featureNames.length;
  if (width === 0) throw new TailorError('invalid_options', 'exportOnnx: the model has no features');
  if (model.kind === 'logistic' && model.weights.length !== width) {
    throw new TailorError('invalid_options', `exportOnnx: the model has ${model.weights.length} weights for ${width} feature names`);
  }
  if (model.kind === 'gbt' && model.trees.length === 0) throw new TailorError('invalid_options', 'exportOnnx: the tree ensemble has no trees');
  const node = classifierNode(model);
  const metadata: Record<string, string> = {
    ...options.metadata,
    [METADATA.modelId]: options.modelId,
    [METADATA.modelVersion]: options.modelVersion,
    [METADATA.featureNames]: JSON.stringify(model.featureNames),
    [METADATA.task]: 'classifier',
  };
  const numericVersion = /^[1-9]\d{0,14}$/.test(options.modelVersion) ? Number(options.modelVersion) : 0;

  const writer = new ProtoWriter();
  writer.varint(1, IR_VERSION);
  writer.string(2, 'tailor');
  writer.string(3, '0.1.0');
  writer.string(4, 'ai.tailor');
  writer.varint(5, numericVersion);
  if (options.description !== undefined) writer.string(6, options.description);
  writer.message(7, (graph) => {
    graph.message(1, (n) => {
      n.string(1, 'features');
      n.string(2, 'label');
      n.string(2, 'probabilities');
      n.string(3, node.opType);
      n.string(4, node.opType);
      for (const attribute of node.attributes) n.message(5, (a) => writeAttribute(a, attribute));
      n.string(7, ML_DOMAIN);
    });
    graph.string(2, options.modelId);
    graph.message(11, (input) => writeValueInfo(input, 'features', ONNX_FLOAT, ['N', width]));
    graph.message(12, (output) => writeValueInfo(output, 'label', ONNX_INT64, ['N']));
    graph.message(12, (output) => writeValueInfo(output, 'probabilities', ONNX_FLOAT, ['N', 2]));
  });
  writer.message(8, (opset) => opset.string(1, '').varint(2, 17));
  writer.message(8, (opset) => opset.string(1, ML_DOMAIN).varint(2, 3));
  for (const [key, value] of Object.entries(metadata)) writer.message(14, (entry) => entry.string(1, key).string(2, value));
  return writer.finish();
}
