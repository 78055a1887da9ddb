import fc from 'fast-check';

// Property tests explore a fixed, reproducible slice of their input space in CI and by default, so a run
// is repeatable; set FC_SEED=random (or a number) to explore elsewhere. A failure prints its seed and path.
const seed = process.env.FC_SEED;
if (seed !== 'random') fc.configureGlobal({ seed: seed === undefined ? 20_261_124 : Number(seed) });
