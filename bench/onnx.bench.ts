import { createSessionScorer, loadModel, type OnnxRuntime, type Scorer, type SessionScorer } from '@tailor/core';
import * as ortNode from 'onnxruntime-node';
import { buildLinearClassifierModel, buildTreeEnsembleClassifierModel, generateRows, type TestModel } from '../packages/test-utils/src/onnx-models';
import { percentile, type Benchmark, type Figure } from './harness';

const BATCH = 200;
const FEATURES = 20;
const ROUNDS = 10;
const CALLS_PER_ROUND = { batch: 40, single: 200 };

interface Candidate {
  readonly name: string;
  readonly score: (input: Float32Array, rows: number) => Float32Array | Promise<Float32Array>;
}

/**
 * Per-call latency of each candidate on the same rows, in interleaved rounds (A B C A B C …) so machine noise
 * hits them alike. Returns the sorted per-call samples in µs.
 */
async function measure(candidates: readonly Candidate[], rows: Float32Array, count: number, calls: number): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(candidates.map((c) => [c.name, []]));
  for (const candidate of candidates) for (let i = 0; i < 20; i++) await candidate.score(rows, count); // warm up
  for (let round = 0; round < ROUNDS; round++) {
    for (const candidate of candidates) {
      globalThis.gc?.();
      const into = samples.get(candidate.name) as number[];
      for (let i = 0; i < calls; i++) {
        const start = process.hrtime.bigint();
        await candidate.score(rows, count);
        into.push(Number(process.hrtime.bigint() - start) / 1000);
      }
    }
  }
  for (const values of samples.values()) values.sort((a, b) => a - b);
  return samples;
}

async function candidatesFor(model: TestModel, web: OnnxRuntime, sessions: SessionScorer[]): Promise<Candidate[]> {
  const loaded = loadModel(model.bytes);
  if (!loaded.ok) throw new Error(`${model.name}: ${loaded.error}`);
  const own: Scorer = loaded.scorer;
  const viaWeb = await createSessionScorer(web, model.bytes);
  const viaNode = await createSessionScorer(ortNode, model.bytes, { sessionOptions: { intraOpNumThreads: 1 } });
  sessions.push(viaWeb, viaNode);
  return [
    { name: `Tailor TS (${loaded.evaluator})`, score: (input, rows) => own.score(input, rows) },
    { name: 'onnxruntime-web (wasm, 1 thread)', score: (input, rows) => viaWeb.score(input, rows) },
    { name: 'onnxruntime-node (CPU, 1 thread)', score: (input, rows) => viaNode.score(input, rows) },
  ];
}

const benchmark: Benchmark = {
  name: 'onnx',
  description: `Scoring cost per call of Tailor's own ONNX evaluators against onnxruntime-web (wasm backend, in Node) and onnxruntime-node on the same files, for a ${BATCH}-row batch and a single row: a LinearClassifier (${FEATURES} features, logistic) and a TreeEnsembleClassifier (${FEATURES} features, 100 BRANCH_LEQ trees of depth ≤ 6, as boosted-tree converters write them). The onnxruntime figures include Tailor's session wrapper (tensor creation, output column copy), which is what a caller pays. Ratios are against onnxruntime-web measured in the same rounds.`,
  async run() {
    const web = await import('onnxruntime-web/wasm');
    web.env.wasm.numThreads = 1;
    const sessions: SessionScorer[] = [];
    const models = [
      buildLinearClassifierModel({ seed: 1, features: FEATURES, rows: 2, postTransform: 'LOGISTIC' }),
      buildTreeEnsembleClassifierModel({ seed: 2, features: FEATURES, trees: 100, depth: 6, weights: 'class-0', baseValues: [0.1], modes: ['BRANCH_LEQ'] }),
    ];
    const figures: Figure[] = [];
    try {
      for (const model of models) {
        const candidates = await candidatesFor(model, web, sessions);
        const rows = generateRows(model, BATCH, 3, { missing: 0.02, large: 0 });
        for (const [label, count, calls] of [[`${BATCH} rows`, BATCH, CALLS_PER_ROUND.batch], ['1 row', 1, CALLS_PER_ROUND.single]] as const) {
          const samples = await measure(candidates, rows, count, calls);
          const baselineName = candidates[1]?.name as string;
          const baseline = percentile(samples.get(baselineName) ?? [], 50);
          for (const candidate of candidates) {
            const values = samples.get(candidate.name) ?? [];
            const p50 = percentile(values, 50);
            const isBaseline = candidate.name === baselineName;
            figures.push({
              name: `${model.name.startsWith('linear') ? 'linear' : 'trees'}, ${label}: ${candidate.name}`,
              value: p50,
              unit: 'µs/call p50',
              ...(isBaseline ? {} : { baseline: { name: 'onnxruntime-web', value: baseline }, ratio: p50 / baseline }),
              note: `p99 ${percentile(values, 99).toFixed(1)} µs; ${(p50 / count).toFixed(3)} µs/row`,
            });
          }
        }
      }
    } finally {
      await Promise.all(sessions.map((session) => session.close()));
    }
    return figures;
  },
};

export default benchmark;
