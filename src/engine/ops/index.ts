// Every op a model can call, by concern.
export { add, sub, mul, div, neg, relu, exp, abs, sqrt, square, log, log1p, tanh, sigmoid, gelu, clip, sum, mean, broadcastTo } from './elementwise.js';
export { matMul } from './matmul.js';
export { layerNorm, dropout, embedding, crossEntropy, logSoftmax, softmax, causalSelfAttention, attentionCache, type AttentionCache } from './nn.js';
export { conv3x3, avgPool2, upsample2, reshape, concat, split } from './image.js';
export { adamw, sumOfSquares, type AdamWStep } from './optim.js';
export { ctcLoss, ctcExample, logProbabilities } from './ctc.js';
