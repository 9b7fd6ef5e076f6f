import { ChatOpenAI } from '@langchain/openai';
import type { ChatEndpointConfig } from '../../core/config/config-schema.ts';

/**
 * A LangChain chat model on any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp
 * server, LM Studio). Retries of 429/5xx/timeouts are LangChain's (`maxRetries`); 4xx requests fail
 * at once.
 */
export function createChatModel(endpoint: ChatEndpointConfig): ChatOpenAI {
  return new ChatOpenAI({
    model: endpoint.model,
    // Local servers need no key, but the OpenAI client refuses to start without one; passing it
    // explicitly also keeps the client from reading OPENAI_API_KEY behind the config's back.
    apiKey: endpoint.apiKey ?? 'no-key',
    temperature: endpoint.temperature,
    timeout: endpoint.timeoutMs,
    maxRetries: endpoint.retries,
    configuration: { baseURL: endpoint.baseUrl },
  });
}
