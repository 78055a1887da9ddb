import type { ModelInfo } from '../decision/types';
import { findDataInputs, METADATA_TASK, resolveModelInfo } from './model-info';
import { ONNX_DOUBLE, ONNX_FLOAT, type OnnxModel } from './onnx-model';
import { ProtoReader, concatBytes, encodeLengthDelimited, encodeUtf8, encodeVarintField, fieldOf, wireTypeOf } from './protobuf';

const ML_DOMAIN = 'ai.onnx.ml';

/** How to run a model in onnxruntime so that it yields one float tensor of scores per row. */
export interface RuntimePlan {
  /** The model to load: the file itself, or a copy that also exposes the probabilities behind a ZipMap. */
  readonly bytes: Uint8Array;
  readonly inputName: string;
  /** Element type of the input tensor (rows arrive as float32 and are widened for a double input). */
  readonly inputType: 'float32' | 'float64';
  /** The float tensor output to fetch (never a ZipMap: onnxruntime's JS bindings cannot read those). */
  readonly outputName: string;
  readonly info: ModelInfo;
}

export type RuntimePlanResult = { readonly ok: true; readonly plan: RuntimePlan } | { readonly ok: false; readonly error: string };

/**
 * Picks the input and the scores output for onnxruntime: `outputName` when given, else the probabilities of
 * a classifier operator (its second output), else the first float tensor output. When the probabilities only
 * reach the graph outputs through a ZipMap, the returned bytes add them as an output of their own.
 */
export function planRuntimeRun(model: OnnxModel, bytes: Uint8Array, outputName?: string): RuntimePlanResult {
  const inputs = findDataInputs(model);
  const input = inputs[0];
  if (inputs.length !== 1 || input === undefined) return { ok: false, error: `the graph has ${inputs.length} inputs; Tailor feeds one [rows, features] tensor` };
  if (input.kind !== 'tensor' || (input.elemType !== ONNX_FLOAT && input.elemType !== ONNX_DOUBLE)) {
    return { ok: false, error: `input "${input.name}" is not a float tensor` };
  }
  const { nodes, outputs } = model.graph;
  const isOutput = (name: string) => outputs.some((output) => output.name === name);
  const classifier = [...nodes].reverse().find((node) => node.domain === ML_DOMAIN && node.opType.endsWith('Classifier'));
  let chosen = outputName ?? classifier?.outputs[1];
  if (chosen === undefined) {
    chosen = outputs.find((output) => output.kind === 'tensor' && (output.elemType === ONNX_FLOAT || output.elemType === ONNX_DOUBLE))?.name;
  }
  if (chosen === undefined) {
    // Only maps left: read the tensor a ZipMap packs.
    chosen = nodes.find((node) => node.domain === ML_DOMAIN && node.opType === 'ZipMap' && isOutput(node.outputs[0] ?? ''))?.inputs[0];
  }
  if (chosen === undefined) return { ok: false, error: 'the model has no float tensor output to read scores from; pass "outputName"' };
  const produced = nodes.some((node) => node.outputs.includes(chosen as string));
  if (!isOutput(chosen) && !produced) return { ok: false, error: `"${chosen}" is neither a graph output nor a value the graph computes` };
  const producer = nodes.find((node) => node.outputs.includes(chosen as string));
  const zipMapped = nodes.some((node) => node.opType === 'ZipMap' && node.inputs[0] === chosen);
  const classifies = producer !== undefined && (producer === classifier || producer.opType === 'Sigmoid' || producer.opType === 'Softmax');
  const resolved = resolveModelInfo(model, classifies || zipMapped || model.metadata[METADATA_TASK] === 'classifier' ? 'classifier' : 'regressor');
  if (!resolved.ok) return resolved;
  const planBytes = isOutput(chosen) ? bytes : exposeGraphOutput(bytes, chosen);
  return { ok: true, plan: { bytes: planBytes, inputName: input.name, inputType: input.elemType === ONNX_DOUBLE ? 'float64' : 'float32', outputName: chosen, info: resolved.info } };
}

/**
 * A copy of an ONNX file whose graph lists `name` as one more float tensor output: protobuf lets a field be
 * appended to the embedded GraphProto (ModelProto field 7, outputs are GraphProto field 12), so only the
 * graph's length prefix changes.
 */
export function exposeGraphOutput(bytes: Uint8Array, name: string): Uint8Array {
  const reader = new ProtoReader(bytes);
  while (reader.hasMore()) {
    const keyStart = reader.position;
    const key = reader.readKey();
    if (fieldOf(key) !== 7 || wireTypeOf(key) !== 2) {
      reader.skip(wireTypeOf(key));
      continue;
    }
    const { start, end } = reader.readLength();
    // ValueInfoProto { name: 1, type: 2 { tensor_type: 1 { elem_type: 1 } } }
    const valueInfo = concatBytes([
      encodeLengthDelimited(1, encodeUtf8(name)),
      encodeLengthDelimited(2, encodeLengthDelimited(1, encodeVarintField(1, ONNX_FLOAT))),
    ]);
    const graph = concatBytes([bytes.subarray(start, end), encodeLengthDelimited(12, valueInfo)]);
    return concatBytes([bytes.subarray(0, keyStart), encodeLengthDelimited(7, graph), bytes.subarray(end)]);
  }
  return bytes;
}
