/** senet-wasm: the public API. */
export { Engine, type EngineOptions } from './engine/engine.js';
export { Tensor } from './engine/tensor.js';
export { OpError } from './engine/errors.js';
export { matmul, type MatmulOptions } from './engine/ops/index.js';
export type { Features } from './engine/features.js';
export type { VariantName } from './engine/variants.js';
