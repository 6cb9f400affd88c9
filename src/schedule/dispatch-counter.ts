/** Dispatches and submits of the last call and in total, for tests and benchmarks. */
export class DispatchCounter {
  lastDispatches = 0;
  lastSubmits = 0;
  totalDispatches = 0;
  totalSubmits = 0;

  beginCall(): void {
    this.lastDispatches = 0;
    this.lastSubmits = 0;
  }

  add(dispatches: number, submits: number): void {
    this.lastDispatches += dispatches;
    this.lastSubmits += submits;
    this.totalDispatches += dispatches;
    this.totalSubmits += submits;
  }
}
