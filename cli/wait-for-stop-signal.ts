/**
 * Resolves with the first SIGINT or SIGTERM; `dispose` removes the handlers. Long-running commands
 * (`twin serve`, `twin worker`) listen before they start loading, so a stop signal that arrives
 * during start-up still shuts them down gracefully instead of killing them half-started.
 */
export function waitForStopSignal(): { promise: Promise<NodeJS.Signals>; dispose: () => void } {
  let stop: (signal: NodeJS.Signals) => void = () => {};
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    stop = resolve;
  });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    promise,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
