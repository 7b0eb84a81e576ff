// The engine's one memory: a WebAssembly.Memory that the kernels of every thread share (shared when the
// platform allows threads), and the allocator that hands out tensor storage inside it. Sizes are rounded up
// to size classes (64-byte steps up to 4 KiB, then 8 classes per power of two, at most 12.5% waste) and
// freed blocks are kept per class: a training step asks for the same sizes every time, so after the first
// step every allocation is a reuse (of a block up to twice the size where shapes vary from step to step).
import { ConfigError } from '../errors.js';

const PAGE = 65536;
const MAX_PAGES = 65535; // just under 4 GiB: the kernels' pointers are 32-bit
const ALIGN = 64; // one cache line, and every v128 access aligned

export function sizeClass(bytes: number): number {
  if (bytes <= 4096) return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step) * step;
}

export class EngineMemory {
  readonly memory: WebAssembly.Memory;
  private top: number;
  private readonly free = new Map<number, number[]>();
  /** Blocks handed out for a smaller size than their class, by pointer: they go back to their own class. */
  private readonly largerBlocks = new Map<number, number>();
  private buffer: ArrayBuffer | SharedArrayBuffer;
  private f32: Float32Array;
  private i32: Int32Array;
  /** Bytes handed out and not yet freed (for the out-of-memory message). */
  private inUse = 0;

  constructor(shared: boolean, reservedBytes: number) {
    this.memory = new WebAssembly.Memory({ initial: 256, maximum: MAX_PAGES, shared });
    this.top = Math.ceil(reservedBytes / ALIGN) * ALIGN;
    this.buffer = this.memory.buffer;
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }

  /** A block of at least `bytes` bytes (64-byte aligned); its contents are whatever was there before. */
  alloc(bytes: number): number {
    const size = sizeClass(Math.max(1, bytes));
    const reused = this.reuse(size);
    if (reused !== undefined) return reused;
    const at = this.top;
    if (at + size > MAX_PAGES * PAGE) {
      throw new ConfigError(`out of engine memory: ${(bytes / 2 ** 20).toFixed(1)} MiB more requested with ${(this.inUse / 2 ** 20).toFixed(0)} MiB in use (the limit is 4 GiB); use a smaller model or batch`);
    }
    this.inUse += size;
    this.top = at + size;
    const needed = Math.ceil(this.top / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (needed > 0) this.memory.grow(Math.max(needed, Math.min(MAX_PAGES - this.memory.buffer.byteLength / PAGE, 256)));
    return at;
  }

  /**
   * A freed block of the size's class, or else of a larger class up to twice the size. Without the second,
   * shapes that vary from step to step (speech batches are as long as their longest utterance) each left
   * a set of blocks of their own behind: 1.7 GiB after 50 steps whose largest needs about 140 MiB.
   */
  private reuse(size: number): number | undefined {
    for (let c = size; c <= 2 * size; c = sizeClass(c + 1)) {
      const ptr = this.free.get(c)?.pop();
      if (ptr === undefined) continue;
      if (c !== size) this.largerBlocks.set(ptr, c);
      this.inUse += c;
      return ptr;
    }
    return undefined;
  }

  release(ptr: number, bytes: number): void {
    const size = this.largerBlocks.get(ptr) ?? sizeClass(Math.max(1, bytes));
    this.largerBlocks.delete(ptr);
    this.inUse -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(ptr);
  }

  /** Views of the whole memory, renewed after it grew (a non-shared buffer is detached by growth). */
  floats(): Float32Array {
    if (this.buffer !== this.memory.buffer) this.refresh();
    return this.f32;
  }

  ints(): Int32Array {
    if (this.buffer !== this.memory.buffer) this.refresh();
    return this.i32;
  }

  private refresh(): void {
    this.buffer = this.memory.buffer;
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }
}
