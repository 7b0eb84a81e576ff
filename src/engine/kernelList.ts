// Kernels the worker thread can run, in a fixed order that both sides index by (append new ones at the end).
export const PARALLEL_KERNELS = [
  'gemm', 'binaryBroadcast', 'unary', 'unaryGrad', 'sumMiddle', 'dropout', 'layerNormForward', 'layerNormBackward',
  'layerNormParamGrads', 'softmaxRows', 'logSoftmaxGrad', 'crossEntropyForward', 'crossEntropyBackward', 'gatherRows',
  'scatterAddRows', 'attentionForward', 'attentionBackward', 'im2col3x3', 'avgPool2', 'spreadHalf',
  'sumPool2', 'adamw', 'pad1', 'conv3x3', 'gemmPrepacked', 'copyRows',
] as const;
