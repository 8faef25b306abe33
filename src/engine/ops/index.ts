/** The ops: thin, checked calls into one kernel each. */
export * from './activation.js';
export * from './batchnorm.js';
export * from './conv.js';
export * from './elementwise.js';
export * from './gemm.js';
export * from './linear.js';
export * from './loss.js';
export * from './optim.js';
export * from './pooling.js';
export * from './se.js';
