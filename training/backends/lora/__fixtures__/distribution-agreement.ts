/** How one next-token distribution of ours compares with llama.cpp's at the same position. */
export type PositionAgreement = {
  /** KL(llama.cpp ‖ ours) in nats: Σ p·(log p − log q), p llama.cpp's probabilities, q ours. */
  kl: number;
  sameTop: boolean;
  /** Largest |log p − log q| over the tokens llama.cpp gives at least 1e-4. */
  largestLogRatio: number;
};

/** Compares llama.cpp's probabilities (a map over the vocabulary) with our log-probabilities. */
export function comparePosition(reference: ReadonlyMap<number, number>, ours: Float64Array): PositionAgreement {
  // Renormalised in float64: llama.cpp's float32 probabilities sum to 1 only within ~1e-7, an
  // offset that would otherwise swamp the KL of two models this close.
  let total = 0;
  for (const probability of reference.values()) total += probability;
  let kl = 0;
  let largestLogRatio = 0;
  let referenceTop = -1;
  let referenceBest = -1;
  for (const [token, probability] of reference) {
    if (probability > referenceBest) {
      referenceBest = probability;
      referenceTop = token;
    }
    // float32 probabilities below ~1e-45 read as 0 and add nothing to the sum.
    if (probability <= 0) continue;
    const logRatio = Math.log(probability / total) - (ours[token] as number);
    kl += (probability / total) * logRatio;
    if (probability >= 1e-4) largestLogRatio = Math.max(largestLogRatio, Math.abs(logRatio));
  }
  let ourTop = 0;
  for (let token = 1; token < ours.length; token++) if ((ours[token] as number) > (ours[ourTop] as number)) ourTop = token;
  return { kl, sameTop: ourTop === referenceTop, largestLogRatio };
}

/** The worst and mean KL, and the share of positions with the same most likely token. */
export function summarise(agreements: readonly PositionAgreement[]): {
  positions: number;
  topAgreement: number;
  meanKl: number;
  maxKl: number;
  largestLogRatio: number;
} {
  const kls = agreements.map(({ kl }) => kl);
  return {
    positions: agreements.length,
    topAgreement: agreements.filter(({ sameTop }) => sameTop).length / agreements.length,
    meanKl: kls.reduce((sum, kl) => sum + kl, 0) / kls.length,
    maxKl: Math.max(...kls),
    largestLogRatio: Math.max(...agreements.map(({ largestLogRatio }) => largestLogRatio)),
  };
}
