// One timing loop for every CPU benchmark: warm up, then the best of several fixed-length rounds.
// The machine is shared, so the fastest round is the least disturbed one.

export interface MeasureOptions {
  readonly rounds?: number;
  readonly roundMs?: number;
}

/** Runs `fn` repeatedly, prints ops/s and ms per op of the best round, and returns ms per op. */
export function measure(name: string, fn: () => void, options: MeasureOptions = {}): number {
  const rounds = options.rounds ?? 7;
  const roundNs = BigInt(Math.round((options.roundMs ?? 300) * 1e6));
  for (let i = 0; i < 50; i++) fn(); // warm-up
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    let runs = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0n;
    while (elapsed < roundNs) {
      fn();
      runs++;
      elapsed = process.hrtime.bigint() - start;
    }
    best = Math.min(best, Number(elapsed) / 1e6 / runs);
  }
  console.log(`${name.padEnd(58)} ${(1000 / best).toFixed(0).padStart(8)} ops/s  ${best.toFixed(3)} ms each`);
  return best;
}
