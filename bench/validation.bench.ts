import { createEventValidator, defineTrackingPlan } from '@tailor/core';
import { retailEvent } from './fixtures';
import { compareThroughput, type Benchmark } from './harness';

const EVENTS = 2_000;

const benchmark: Benchmark = {
  name: 'validation',
  description: `Events validated per second by the Segment envelope + retail catalog contract, over ${EVENTS} typical retail events (1–10 products each), against JSON.parse alone on the same bodies.`,
  async run() {
    const bodies = Array.from({ length: EVENTS }, (_, i) => JSON.stringify(retailEvent(i)));
    const averageBytes = Math.round(bodies.reduce((sum, body) => sum + body.length, 0) / EVENTS);
    const interpreted = createEventValidator({ plan: defineTrackingPlan({ name: 'bench', compile: false }) });
    const compiled = createEventValidator({ plan: defineTrackingPlan({ name: 'bench', compile: true }) });
    for (const validator of [interpreted, compiled]) {
      const rejected = validator.validateBatch(bodies.map((body) => JSON.parse(body))).rejected;
      if (rejected > 0) throw new Error(`bench fixtures are invalid: ${rejected} rejected`);
    }
    // Each candidate parses the same bodies; the validators also validate what they parsed.
    const pass = (validate?: (event: unknown) => unknown) => () => {
      for (const body of bodies) {
        const event = JSON.parse(body);
        if (validate) validate(event);
      }
      return bodies.length;
    };
    const rates = await compareThroughput([
      { name: 'JSON.parse only', fn: pass() },
      { name: 'parse + validate (zod classic)', fn: pass((event) => interpreted.validate(event)) },
      { name: 'parse + validate (z.compile)', fn: pass((event) => compiled.validate(event)) },
    ]);
    const base = rates.get('JSON.parse only') as number;
    const baseline = { name: 'JSON.parse only', value: base };
    return [
      { name: 'JSON.parse only', value: base, unit: 'events/s', note: `${averageBytes} B per event on average` },
      ...['parse + validate (zod classic)', 'parse + validate (z.compile)'].map((name) => {
        const value = rates.get(name) as number;
        return { name, value, unit: 'events/s', baseline, ratio: value / base, note: `validation alone ≈ ${(1e6 / value - 1e6 / base).toFixed(1)} µs/event` };
      }),
    ];
  },
};

export default benchmark;
