/** senet-wasm: the public API. */
export { Engine, type EngineOptions } from './engine/engine.js';
export { Tensor, type DType } from './engine/tensor.js';
export { OpError, WasmMemoryError, WASM32_MEMORY_BYTES, type MemoryErrorContext } from './engine/errors.js';
export { matmul, type MatmulOptions } from './engine/ops/gemm.js';
export type { Features } from './engine/features.js';
export type { VariantName } from './engine/variants.js';

export { Module, StateDictError, buildContext, type BuildContext, type StateValue } from './nn/module.js';
export { Parameter, ParameterBuffer, type ParameterGroupSpec, type ParameterRange } from './nn/parameters.js';
export { Rng, diracInit } from './nn/init.js';
export { Conv2d, type Conv2dOptions } from './nn/layers/conv.js';
export { BatchNorm2d, type BatchNorm2dOptions } from './nn/layers/batchnorm.js';
export { ReLU, Sigmoid, GELU, Identity } from './nn/layers/activation.js';
export { Add, Residual, SEBasicBlock, type SEBasicBlockOptions } from './nn/layers/residual.js';
export { MaxPool2d, AdaptiveAvgPool2d, Flatten } from './nn/layers/pooling.js';
export { Linear } from './nn/layers/linear.js';
export { SEBlock } from './nn/layers/se.js';
export { symmetricEigen, type SymmetricEigen } from './nn/eigen.js';
export { initWhitening, patchSecondMoment, whiteningFilters, type WhiteningOptions } from './nn/whitening.js';
export { Sequential } from './nn/layers/sequential.js';
export { SENet, type SENetOptions } from './nn/models/senet.js';
export { CifarResNet, type CifarResNetOptions } from './nn/models/resnet.js';
export { FastSENet, FAST_SENET_WIDTHS, type FastSENetOptions } from './nn/models/fast-senet.js';
export { createModel, modelEntry, MODELS, MODEL_NAMES, type Model, type ModelEntry, type ModelOptions } from './nn/models/index.js';
export * as functional from './autograd/functional.js';
export { CrossEntropyLoss, type CrossEntropyOptions } from './nn/loss.js';
export { Profiler, formatProfile, type ProfileRow } from './autograd/profile.js';

export { Optimizer, Adam, AdamW, SGD, type AdamOptions, type SgdOptions } from './optim/optimizers.js';
export { learningRate, piecewiseLinear, SCHEDULES, type ScheduleName } from './optim/schedules.js';

export { DataLoader, AUGMENTS, type Augment, type Batch, type BatchSource, type LabeledImages, type LoaderOptions } from './data/loader.js';
export { ImageDataset, CIFAR10_CLASSES, loadCifar10, readCifar10Tar, parseCifarBatch } from './data/cifar10.js';
export { syntheticImages, SYNTHETIC_CLASSES } from './data/synthetic.js';
export { planImageFolder, listFolder, DEFAULT_VAL_FRACTION, type FolderListing, type FolderPlan, type FolderPlanOptions, type FolderSample } from './data/folder.js';
export { resizeImage, resizeBilinear, RESIZE_MODES, type ResizeMode } from './data/resize.js';
export { IMAGE_EXTENSIONS, type DecodedImage } from './data/image-format.js';
export { decodeImageBlob } from './data/browser-image.js';
export { DatasetError } from './data/cifar10.js';

export { fit, type FitOptions, type FitResult, type BatchReport, type EpochReport } from './train/fit.js';
export { trainStep, evaluate, NonFiniteLossError, type Evaluation } from './train/step.js';
export {
  stateDictToBytes, stateDictFromBytes, trainingCheckpoint, restoreTrainingCheckpoint, type TrainingProgress,
} from './train/checkpoint.js';
export { parseSafetensors, serializeSafetensors } from './train/safetensors.js';
export { stateDictMetadata, PIXELS_01, type ModelMetadata, type Normalization } from './train/metadata.js';

export { createTrainer, TrainerClient } from './worker/client.js';
export {
  Trainer, type TrainerOptions, type TrainerInfo, type DataSource, type DataInfo, type FitRequest, type FitCallbacks,
  type FitSummary, type EpochUpdate, type StopUpdate, type Prediction, type TestImages, type LoadCallbacks,
} from './worker/trainer.js';
export type { FolderSource, FolderFile } from './worker/folder-source.js';
export { SEED_RECIPE, OPTIMIZERS, type RunOptions, type OptimizerName } from './train/run.js';
export {
  FAST_RECIPE, FAST_MODEL, FAST, RECIPES, CIFAR10_NORMALIZATION, fastOptimizer, fastWhitening, fastLookaheadStep, type RecipeName,
} from './train/fast.js';
export { Lookahead, lookaheadDecay } from './optim/lookahead.js';
export { mirror, type EvaluateOptions, type Scores } from './train/step.js';
export { readCifar10Archive, readCifar10Files } from './data/cifar10.js';
export { formatBatch, formatEpoch, formatDuration } from './train/progress.js';
