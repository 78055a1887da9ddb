export { createScorer, type CreateScorerOptions } from './create-scorer';
export { createOnnxRuntimeScorer, loadOnnxRuntimeNode, type OnnxNodeOptions } from './onnxruntime-scorer';
