/**
 * Length of the longest common prefix of two id sequences.
 * @example longestCommonPrefix([1, 2, 3, 4], [1, 2, 9]) // 2
 */
export function longestCommonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * How many cached positions a new prompt can reuse: the common prefix, capped so at least one prompt token is left
 * to run (its logits give the next token): `min(lcp(cached, prompt), prompt.length − 1)`, never below 0.
 * @example reusablePrefix([1, 2, 3], [1, 2, 3]) // 2: the last prompt token is re-run
 */
export function reusablePrefix(cached: readonly number[], prompt: readonly number[]): number {
  return Math.max(0, Math.min(longestCommonPrefix(cached, prompt), prompt.length - 1));
}
