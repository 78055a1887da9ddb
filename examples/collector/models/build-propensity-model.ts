/**
 * Writes `propensity.onnx`, the demo's purchase-propensity model: a logistic regression over features of the
 * shared feature spec, exported with Tailor's own ONNX writer. The weights are set by hand to sensible signs
 * for the demo; `tailor train` produces a real one from your event log (see the README).
 *
 *   node --conditions=tailor-source --import tsx examples/collector/models/build-propensity-model.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exportOnnx } from '../../../packages/node/src/training/onnx-export';

const FEATURES = ['session.product_views', 'session.add_to_carts', 'session.cart_value', 'rfm.orders_total', 'price.discount_share'];
const WEIGHTS = [0.18, 0.7, 0.004, 0.35, 0.9];

const bytes = exportOnnx(
  { kind: 'logistic', featureNames: FEATURES, weights: Float64Array.from(WEIGHTS), intercept: -2.2 },
  { modelId: 'propensity', modelVersion: '1', description: 'Demo purchase propensity (hand-set weights)' },
);
writeFileSync(fileURLToPath(new URL('./propensity.onnx', import.meta.url)), bytes);
process.stdout.write(`wrote propensity.onnx (${bytes.length} bytes)\n`);
