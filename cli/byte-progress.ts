import cliProgress from 'cli-progress';

export type ByteProgress = { update(written: number): void; stop(): void };

/**
 * Progress of a download of known size on stderr: a bar on a terminal, a line per tenth otherwise
 * (CI logs), so a 100 MB pull never looks hung.
 */
export function startByteProgress(
  label: string,
  totalBytes: number,
  stream: NodeJS.WriteStream = process.stderr,
): ByteProgress {
  const megabytes = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} {bar} {percentage}% | {done}/{total_mb} MB | {eta_formatted}`,
        barsize: 24,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(totalBytes, 0, { done: '0.0', total_mb: megabytes(totalBytes) });
    return {
      update: (written) => bar.update(written, { done: megabytes(written) }),
      stop: () => bar.stop(),
    };
  }
  let lastTenth = -1;
  return {
    update(written) {
      const tenth = Math.floor((written / totalBytes) * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      stream.write(`${label}: ${tenth * 10}% (${megabytes(written)} of ${megabytes(totalBytes)} MB)\n`);
    },
    stop() {},
  };
}
