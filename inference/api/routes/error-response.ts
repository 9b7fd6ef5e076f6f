import { z } from '@hono/zod-openapi';

/** OpenAI's error shape, for the OpenAPI document. */
export const ErrorResponse = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});
