// engram's tensors: an n-dimensional float32 (or int32) array stored in the engine's memory, with a shape.
// A reshape shares storage (reference-counted). Lifetime follows TensorFlow.js's habits, which the models
// were written against: tidy(fn) frees every tensor made inside fn except what fn returns; a Variable lives
// until disposed. While a gradient tape records (autograd.ts), freeing is deferred to the end of the
// backward pass, which needs the forward tensors.
import { getEngine } from './backend.js';

export type DType = 'float32' | 'int32';

interface Storage {
  readonly ptr: number;
  readonly bytes: number;
  refs: number;
}

let nextId = 1;
let live = 0;
const scopes: Tensor[][] = [];
/** Set by autograd while it records: tensors whose dispose() must wait for the backward pass. */
let deferred: Set<Tensor> | undefined;

export function setDeferredDisposal(set: Set<Tensor> | undefined): void {
  deferred = set;
}

export class Tensor {
  readonly id = nextId++;
  readonly size: number;
  /** True when a gradient flows back through this tensor (set by autograd). */
  requiresGrad = false;
  private disposed = false;

  constructor(readonly shape: readonly number[], private readonly storage: Storage, readonly dtype: DType = 'float32') {
    this.size = shape.reduce((a, b) => a * b, 1);
    live += 1;
    scopes.at(-1)?.push(this);
    deferred?.add(this);
  }

  /** Byte offset of the first element in the engine's memory (for kernels). */
  get ptr(): number {
    if (this.disposed) throw new Error(`tensor ${this.id} [${this.shape}] used after dispose`);
    return this.storage.ptr;
  }

  /**
   * A live float32 view of the values (not a copy): valid until the tensor is disposed, and, where the
   * engine's memory is not shared (a browser page without cross-origin isolation), until the next allocation.
   */
  get data(): Float32Array {
    // >>> not >>: past 2 GiB a pointer is above the largest signed 32-bit number.
    return getEngine().memory.floats().subarray(this.ptr >>> 2, (this.ptr >>> 2) + this.size);
  }

  /** A live int32 view, for int32 tensors (token ids). */
  get ints(): Int32Array {
    return getEngine().memory.ints().subarray(this.ptr >>> 2, (this.ptr >>> 2) + this.size);
  }

  /** A copy of the values. */
  toArray(): Float32Array {
    return this.data.slice();
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item() needs a one-element tensor, got shape [${this.shape}]`);
    return this.data[0];
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The same values with another shape, sharing storage. -1 stands for the one dimension left to infer. */
  reshape(shape: readonly number[]): Tensor {
    const resolved = resolveShape(shape, this.size);
    this.storage.refs += 1;
    return new Tensor(resolved, this.storage, this.dtype);
  }

  dispose(): void {
    if (this.disposed) return;
    if (deferred?.has(this)) return;
    this.disposed = true;
    live -= 1;
    this.storage.refs -= 1;
    if (this.storage.refs === 0) getEngine().memory.release(this.storage.ptr, this.storage.bytes);
  }
}

/** A tensor that outlives scopes (a parameter or optimizer state) and can be overwritten in place. */
export class Variable extends Tensor {
  /** Tensors computed from this one's values (weights packed for sampling), freed with it or when it changes. */
  private readonly derived = new Map<string, Tensor>();

  constructor(shape: readonly number[], readonly trainable: boolean) {
    super(shape, allocStorage(shape.reduce((a, b) => a * b, 1) * 4));
    // Variables are never collected by a scope.
    const scope = scopes.at(-1);
    if (scope?.at(-1) === this) scope.pop();
    deferred?.delete(this);
    this.requiresGrad = trainable;
  }

  /** Overwrites the values (same size). */
  assign(values: Float32Array | Tensor): void {
    const source = values instanceof Tensor ? values.data : values;
    if (source.length !== this.size) throw new Error(`assign: ${source.length} values for a variable of ${this.size}`);
    this.data.set(source);
    this.forgetDerived();
  }

  /** A tensor derived from this variable's values, made once by `make` and kept until the values change. */
  derivedTensor(key: string, make: () => Tensor): Tensor {
    let t = this.derived.get(key);
    if (!t) {
      t = make();
      const scope = scopes.at(-1);
      if (scope?.at(-1) === t) scope.pop(); // owned by the variable, not by a scope
      deferred?.delete(t);
      this.derived.set(key, t);
    }
    return t;
  }

  private forgetDerived(): void {
    for (const t of this.derived.values()) t.dispose();
    this.derived.clear();
  }

  override dispose(): void {
    this.forgetDerived();
    super.dispose();
  }
}

function allocStorage(bytes: number): Storage {
  return { ptr: getEngine().memory.alloc(bytes), bytes, refs: 1 };
}

function resolveShape(shape: readonly number[], size: number): number[] {
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const out = shape.map((d) => (d === -1 ? size / known : d));
  if (out.reduce((a, b) => a * b, 1) !== size || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`cannot reshape ${size} values to [${shape}]`);
  }
  return out;
}

/** A new tensor of the given shape with unspecified contents (kernels fill it). */
export function empty(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor([...shape], allocStorage(size * 4), dtype);
}

export function zeros(shape: readonly number[]): Tensor {
  const t = empty(shape);
  t.data.fill(0);
  return t;
}

/** A float32 tensor holding `values` (copied). */
export function tensor(values: ArrayLike<number>, shape: readonly number[]): Tensor {
  const t = empty(shape);
  if (values.length !== t.size) throw new Error(`${values.length} values for shape [${shape}]`);
  t.data.set(values);
  return t;
}

/** An int32 tensor (token ids, targets). */
export function intTensor(values: ArrayLike<number>, shape: readonly number[] = [values.length]): Tensor {
  const t = empty(shape, 'int32');
  if (values.length !== t.size) throw new Error(`${values.length} values for shape [${shape}]`);
  t.ints.set(values);
  return t;
}

export function variable(values: Float32Array, shape: readonly number[], trainable = true): Variable {
  const v = new Variable(shape, trainable);
  v.assign(values);
  return v;
}

/**
 * Runs fn and frees every tensor it made except those in its result (a tensor, or arrays, objects and
 * maps of them), which move to the enclosing scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const kept = new Set<Tensor>();
  collectTensors(result, kept);
  for (const t of scope) if (!kept.has(t)) t.dispose();
  const parent = scopes.at(-1);
  if (parent) {
    const made = new Set(scope);
    for (const t of kept) if (made.has(t)) parent.push(t);
  }
  return result;
}

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, into);
  else if (value instanceof Map) for (const v of value.values()) collectTensors(v, into);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, into);
  }
}

/** Frees tensors (any nesting of arrays). */
export function dispose(tensors: Tensor | readonly Tensor[] | undefined): void {
  if (!tensors) return;
  if (tensors instanceof Tensor) tensors.dispose();
  else for (const t of tensors) t.dispose();
}

/** Number of live tensors; a training step or a sampling call must leave it unchanged. */
export function liveTensors(): number {
  return live;
}
