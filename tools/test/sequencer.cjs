// The order Jest runs the specs in (two workers). The specs that load the machine hold a lock
// (libs/testing load-lock.ts: they call loadSpecLock) so no two of them run at once; this order
// spreads them through the run so the lock is rarely waited on: a load spec, then about as much
// other work as it lasts (run by the other worker meanwhile), then the next load spec, and so on.
// Jest's own order (failed first, then slowest first) put the two load specs that had failed
// together at the front, side by side.
const { readFileSync } = require('node:fs');
const Sequencer = require('@jest/test-sequencer').default;

/** Seconds a spec is assumed to take when Jest has no time for it yet (a fresh clone). */
const GUESS_S = { load: 200, e2e: 50, int: 20, unit: 2 };

function isLoadSpec(path) {
  return readFileSync(path, 'utf8').includes('loadSpecLock(');
}

function seconds(test, load) {
  if (test.duration != null) return test.duration / 1000;
  if (load) return GUESS_S.load;
  if (test.path.endsWith('.e2e.spec.ts')) return GUESS_S.e2e;
  return test.path.endsWith('.int.spec.ts') ? GUESS_S.int : GUESS_S.unit;
}

class SpreadLoadSpecs extends Sequencer {
  sort(tests) {
    // Jest's sort sets each test's duration from its cache; then slowest first, ignoring failures.
    super.sort(tests);
    const loadPaths = new Set(tests.filter((t) => isLoadSpec(t.path)).map((t) => t.path));
    const bySlowest = [...tests].sort((a, b) => seconds(b, loadPaths.has(b.path)) - seconds(a, loadPaths.has(a.path)));
    const load = bySlowest.filter((t) => loadPaths.has(t.path));
    const other = bySlowest.filter((t) => !loadPaths.has(t.path));
    const order = [];
    for (const spec of load) {
      order.push(spec);
      // A little more than the load spec lasts, so the next one is usually started after it ended.
      let budget = seconds(spec, true) * 1.1;
      while (budget > 0 && other.length > 0) {
        const next = other.shift();
        order.push(next);
        budget -= seconds(next, false);
      }
    }
    return order.concat(other);
  }
}

module.exports = SpreadLoadSpecs;
