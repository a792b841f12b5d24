import { describe, expect, it } from 'vitest';
import { createSchema } from '../gateway/graphql/schema.ts';
import { SCENARIO_NAMES, scenarioNames, scenarios, selectScenarios } from './scenarios.ts';

describe('BENCH_SCENARIOS', () => {
  const ids = Array.from({ length: 400 }, (_, i) => `svc-${i}`);
  const subscriber = {
    authorityId: 'authority-1',
    serviceId: 'svc-1',
    planId: 'plan-1',
    accessToken: 'token',
  };
  const all = scenarios(createSchema(), ids, [subscriber]);

  it('names every scenario the benchmark has, in its order', () => {
    expect(all.map((s) => s.name)).toEqual([...SCENARIO_NAMES]);
  });

  it('selects all scenarios when unset or blank', () => {
    expect(scenarioNames(undefined)).toEqual([]);
    expect(scenarioNames(' , ')).toEqual([]);
    expect(selectScenarios(all, [])).toBe(all);
  });

  it('selects the named scenarios in their own order', () => {
    const names = scenarioNames('repeated search, detail');
    expect(names).toEqual(['repeated search', 'detail']);
    expect(selectScenarios(all, names).map((s) => s.name)).toEqual(['detail', 'repeated search']);
  });

  it('refuses a name that is no scenario, naming the valid ones', () => {
    expect(() => scenarioNames('detail,details')).toThrow(
      'BENCH_SCENARIOS names no scenario "details"; the scenarios are "search", "detail", "repeated search", "subscribe and cancel"',
    );
  });
});
