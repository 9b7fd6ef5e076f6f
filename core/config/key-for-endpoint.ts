/**
 * The configured OpenAI key, but only for an endpoint on the same origin as the one the key was
 * configured for: a registered model may point at any server (Ollama, vLLM, a colleague's box),
 * and none of them may receive the OpenAI key by accident.
 */
export function keyForEndpoint(
  endpointUrl: string,
  keyOwner: { baseUrl: string; apiKey: string | null },
): string | null {
  try {
    return new URL(endpointUrl).origin === new URL(keyOwner.baseUrl).origin ? keyOwner.apiKey : null;
  } catch {
    return null;
  }
}
