/**
 * Version of the bytes the fixture generator writes. Bump it whenever any generated file changes for the same shape
 * and seed (weights, graph, config): it is part of `config.json` and of the {@link ensureFixtureModel} cache key, so a
 * bump invalidates every cached fixture. `test/testing/determinism-and-cache.test.ts` pins the `tiny` hashes to catch a missed bump.
 */
export const FIXTURE_GENERATOR_VERSION = 1;
