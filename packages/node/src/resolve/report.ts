import type { ExplainedMerge, ResolveSummary } from './types';

const count = (n: number) => n.toLocaleString('en-US');

/** `email 12 · loyaltyId 3`, largest first; `none` when empty. */
function counts(entries: Readonly<Record<string, number | undefined>>): string {
  const list = Object.entries(entries)
    .filter((entry): entry is [string, number] => (entry[1] ?? 0) > 0)
    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
  return list.length === 0 ? 'none' : list.map(([key, n]) => `${key} ${count(n)}`).join(' · ');
}

/**
 * The end-of-run summary, one `label  value` line per fact, for people reading a terminal (and tests
 * reading the lines).
 */
export function formatSummary(summary: ResolveSummary, extra: { readonly out: string; readonly seconds: number }): string {
  const { guards, matcher } = summary;
  const rows: [string, string][] = [
    ['records', count(summary.records)],
    ['rejected rows', count(summary.rejectedRows)],
    ['profiles', count(summary.profiles)],
    ['singletons', count(summary.singletons)],
    ['largest profile', `${count(summary.largestProfile)} records`],
    ['merges', counts(summary.merges)],
    ['shared values', `${counts(guards.shared)}${guards.sharedOccurrences > 0 ? ` (${count(guards.sharedOccurrences)} occurrences kept out of joins)` : ''}`],
    ['refused values', counts(guards.refusedValues)],
    ['vetoed joins', counts(guards.vetoed)],
    ['demoted values', counts(guards.demoted)],
    ['refused joins', counts(guards.refusedJoins)],
    [
      'matcher',
      `threshold p ≥ ${matcher.threshold}; ${count(matcher.scoredPairs)} pairs scored, ${count(matcher.links)} merged by the clustering` +
        `; ${matcher.parameters === 'trained' ? 'm/u trained by EM' : 'starting m/u'}, λ ${matcher.lambda.toExponential(2)}` +
        (matcher.note === undefined ? '' : ` (${matcher.note})`) +
        (matcher.oversizedBlocks > 0 ? `; ${count(matcher.oversizedBlocks)} oversized blocks skipped` : ''),
    ],
    ['output', `${extra.out} in ${extra.seconds.toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return `resolve summary\n${rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}

const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;

/** One probabilistic merge, comparison by comparison: `prior + Σ contributions = match weight`. */
export function formatMerge(merge: ExplainedMerge): string {
  const { explanation } = merge;
  const parts = explanation.comparisons.map((part) => {
    if (part.level === null) return [part.comparison, part.genericValue ? 'null (a generic value)' : 'null (missing)', ''] as const;
    const notes = [
      part.tfAdjustment !== 0 ? `term frequency ${signed(part.tfAdjustment)}` : '',
      part.groupAdjustment !== 0 ? `correlated ${signed(part.groupAdjustment)}` : '',
    ].filter(Boolean);
    return [part.comparison, part.level, `${signed(part.contribution)}${notes.length > 0 ? `  (m/u ${signed(part.weight)}, ${notes.join(', ')})` : ''}`] as const;
  });
  const nameWidth = Math.max('prior'.length, ...parts.map(([name]) => name.length));
  const levelWidth = Math.max(...parts.map(([, level]) => level.length));
  return [
    `${merge.a} + ${merge.b}: p ${merge.probability.toFixed(4)}, match weight ${explanation.matchWeight.toFixed(2)}`,
    `    ${'prior'.padEnd(nameWidth)}  ${''.padEnd(levelWidth)}  ${signed(explanation.priorWeight)}`,
    ...parts.map(([name, level, value]) => `    ${name.padEnd(nameWidth)}  ${level.padEnd(levelWidth)}  ${value}`.trimEnd()),
  ].join('\n');
}
