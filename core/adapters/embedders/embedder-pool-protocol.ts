import { z } from 'zod';
import { ConfigError, NotFoundError, ServiceError, TwinError, ValidationError } from '../../errors.ts';

/** What the parent sends a pool worker. */
export type PoolRequest = { type: 'embed'; job: number; texts: string[] } | { type: 'close' };

const SerializedError = z.object({
  name: z.string(),
  message: z.string(),
  retryable: z.boolean(),
  problems: z.array(z.string()).optional(),
});
export type SerializedError = z.infer<typeof SerializedError>;

/** What a pool worker sends back; parsed so a protocol slip fails loudly instead of misplacing vectors. */
export const PoolReply = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    id: z.string(),
    dimensions: z.number().int().positive(),
    maxBatchSize: z.number().int().positive(),
  }),
  z.object({ type: z.literal('failed'), error: SerializedError }),
  z.object({
    type: z.literal('vectors'),
    job: z.number().int(),
    vectors: z.array(z.custom<Float32Array>((value) => value instanceof Float32Array)),
  }),
  z.object({ type: z.literal('error'), job: z.number().int(), error: SerializedError }),
]);
export type PoolReply = z.infer<typeof PoolReply>;

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    return {
      name: error.name,
      message: error.message,
      retryable: error instanceof TwinError ? error.retryable : false,
      ...(error instanceof ConfigError ? { problems: error.problems } : {}),
    };
  }
  return { name: 'Error', message: String(error), retryable: false };
}

/** Rebuilds the worker's error as the same class, so callers handle it as if it were thrown here. */
export function deserializeError(error: SerializedError): TwinError {
  const options = { retryable: error.retryable };
  switch (error.name) {
    case 'ConfigError':
      return new ConfigError(error.problems ?? [error.message]);
    case 'ValidationError':
      return new ValidationError(error.message, options);
    case 'NotFoundError':
      return new NotFoundError(error.message, options);
    case 'ServiceError':
      return new ServiceError(error.message, options);
    default:
      return new ServiceError(`embedder worker failed: ${error.name}: ${error.message}`, options);
  }
}
