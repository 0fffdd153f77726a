/**
 * A value computed from the store and reused until it is invalidated by a local write or, for
 * writes made by another controller on the same database, until maxAgeMs has passed.
 */
export class Cached<T> {
  private value: T | undefined;
  private loadedAt = 0;
  private generation = 0;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly maxAgeMs = 2000,
  ) {}

  async get(): Promise<T> {
    if (this.value !== undefined && Date.now() - this.loadedAt < this.maxAgeMs) return this.value;
    const generation = this.generation;
    const value = await this.load();
    // A write during the load makes the loaded value stale: hand it out once, keep nothing.
    if (generation === this.generation) {
      this.value = value;
      this.loadedAt = Date.now();
    }
    return value;
  }

  invalidate(): void {
    this.generation++;
    this.value = undefined;
  }
}
