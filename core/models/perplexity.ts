/**
 * exp(−mean log p) over the scored tokens: how many equally likely choices the model was torn
 * between per token, on average; 1 means it was certain of every token. Pass the log-probabilities
 * of several answers together to get the perplexity of the whole set (tokens weigh equally, so long
 * answers count for more than short ones). NaN when nothing was scored.
 */
export function perplexity(tokenLogProbabilities: readonly number[]): number {
  if (tokenLogProbabilities.length === 0) return Number.NaN;
  let sum = 0;
  for (const logProbability of tokenLogProbabilities) sum += logProbability;
  return Math.exp(-sum / tokenLogProbabilities.length);
}
