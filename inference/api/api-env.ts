/** The API's Hono environment: what its middleware leaves on the context for the handlers. */
export type ApiEnv = {
  Variables: {
    /** The bearer key `requireKey` admitted the request with; unset on open routes. */
    apiKey: string | undefined;
  };
};
