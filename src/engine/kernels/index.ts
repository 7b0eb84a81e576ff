// AssemblyScript entry: every kernel the engine calls. Compiled at build time (npm run build) to
// dist/src/engine/kernels.wasm with SIMD and threads; the TypeScript in src/engine/ calls these exports.
export { gemm, gemmPrepacked, packPanels, GEMM_SCRATCH_BYTES } from './gemm';
export { binaryBroadcast, unary, unaryGrad, sumMiddle, dropout } from './elementwise';
export { layerNormForward, layerNormBackward, layerNormParamGrads, softmaxRows, logSoftmaxGrad, crossEntropyForward, crossEntropyBackward, gatherRows, scatterAddRows } from './rows';
export { attentionForward, attentionBackward } from './attention';
export { setThread } from './thread';
export { im2col3x3, avgPool2, spreadHalf, sumPool2, copyRows } from './image';
export { adamw, sumSquares } from './optim';
export { pad1, conv3x3, convScratchBytes } from './conv';
