import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildHiddenLayerModel,
  buildLinearClassifierModel,
  buildLogisticGraphModel,
  buildTreeEnsembleClassifierModel,
} from '../../../test-utils/src/onnx-models';
import { loadModel } from './load';
import { ONNX_FLOAT, readOnnxModel } from './onnx-model';

describe('readOnnxModel', () => {
  it('reads the model header, opsets, metadata, inputs and outputs', () => {
    const read = readOnnxModel(buildLinearClassifierModel({ seed: 1, features: 4, labels: 'strings', zipMap: true }).bytes);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    const { model } = read;
    expect(model.irVersion).toBe(8);
    expect(model.producerName).toBe('tailor-test-utils');
    expect(model.modelVersion).toBe(1);
    expect(model.opsetImports).toEqual([{ domain: '', version: 17 }, { domain: 'ai.onnx.ml', version: 3 }]);
    expect(model.metadata['tailor.feature_names']).toBe('["feature_0","feature_1","feature_2","feature_3"]');
    expect(model.graph.name).toBe('linear-classifier-1row-LOGISTIC');
    expect(model.graph.inputs).toEqual([{ name: 'features', kind: 'tensor', elemType: ONNX_FLOAT, dims: ['N', 4] }]);
    expect(model.graph.outputs.map((output) => [output.name, output.kind])).toEqual([['label', 'tensor'], ['output_probability', 'sequence']]);
    const [classifier, zipMap] = model.graph.nodes;
    expect(classifier?.opType).toBe('LinearClassifier');
    expect(classifier?.domain).toBe('ai.onnx.ml');
    expect(classifier?.outputs).toEqual(['label', 'probabilities']);
    expect(classifier?.attributes.get('classlabels_strings')?.strings).toEqual(['no', 'yes']);
    expect(classifier?.attributes.get('post_transform')?.s).toBe('LOGISTIC');
    expect(classifier?.attributes.get('coefficients')?.floats).toHaveLength(4);
    expect(zipMap?.opType).toBe('ZipMap');
  });

  it('decodes initializers stored as raw little-endian bytes and as float_data alike', () => {
    const read = readOnnxModel(buildLogisticGraphModel({ seed: 2, form: 'matmul', features: 3 }).bytes);
    if (!read.ok) throw new Error(read.error);
    const weights = read.model.graph.initializers.get('weights'); // raw_data
    const bias = read.model.graph.initializers.get('bias'); // float_data
    expect(weights?.dims).toEqual([3, 1]);
    expect(weights?.values).toHaveLength(3);
    expect(weights?.values?.every((value) => Math.fround(value) === value && Math.abs(value) <= 1)).toBe(true);
    expect(bias?.dims).toEqual([1]);
    expect(bias?.values).toHaveLength(1);
  });

  it('reads tree attributes with negative and large int64 values intact', () => {
    const read = readOnnxModel(buildTreeEnsembleClassifierModel({ seed: 3, trees: 2, depth: 2 }).bytes);
    if (!read.ok) throw new Error(read.error);
    const node = read.model.graph.nodes[0];
    expect(node?.attributes.get('nodes_treeids')?.ints.slice(0, 1)).toEqual([0]);
    expect(node?.attributes.get('nodes_modes')?.strings.length).toBe(node?.attributes.get('nodes_nodeids')?.ints.length);
  });

  it('names what is wrong with bytes that are not a model', () => {
    expect(readOnnxModel(new Uint8Array(0))).toEqual({ ok: false, error: 'not an ONNX model: it has no graph (ModelProto field 7)' });
    expect(readOnnxModel(Uint8Array.of(0x3a, 0x05, 0x01))).toEqual({ ok: false, error: 'not an ONNX model: a field needs 5 bytes but its message has 1 left at byte 2' });
    expect(readOnnxModel(new TextEncoder().encode('{"not": "onnx"}'))).toMatchObject({ ok: false });
  });

  it('never throws on random, truncated or corrupted bytes (and loadModel neither)', () => {
    const models = [buildTreeEnsembleClassifierModel({ seed: 4, trees: 3 }).bytes, buildHiddenLayerModel({ seed: 5 }).bytes, buildLogisticGraphModel({ seed: 6, form: 'gemm', scaler: true }).bytes];
    const corrupted = fc.tuple(fc.constantFrom(...models), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([bytes, cut, at, value]) => {
      const copy = bytes.slice(0, 1 + (cut % bytes.length));
      if (copy.length > 0) copy[at % copy.length] = value;
      return copy;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), corrupted), (bytes) => {
        const read = readOnnxModel(bytes);
        expect(typeof read.ok).toBe('boolean');
        if (!read.ok) expect(read.error).toMatch(/^not an ONNX model: /);
        const loaded = loadModel(bytes);
        if (!loaded.ok) expect(loaded.error.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});
