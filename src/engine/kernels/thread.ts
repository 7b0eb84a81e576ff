// AssemblyScript. What differs between the threads that share one memory: each instance of the module
// (one per thread) has its own globals, so these say which thread this is and where its scratch lies.
export let threadIndex: i32 = 0;
export let threadScratch: usize = 0;

export function setThread(index: i32, scratch: usize): void {
  threadIndex = index;
  threadScratch = scratch;
}
