import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import type { OpenDestination } from '../open-destination.ts';

/**
 * A destination on a disk with `room` bytes free: the first bytes reach the real file, then a write
 * fails with ENOSPC as write(2) does. `opened` lists the paths it was asked to write.
 */
export function fullDiskDestination(room = 1024): { open: OpenDestination; opened: string[] } {
  const opened: string[] = [];
  const open: OpenDestination = (path) => {
    const file = createWriteStream(path);
    opened.push(path);
    let left = room;
    return new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (chunk.length <= left) {
          left -= chunk.length;
          file.write(chunk, done);
          return;
        }
        const fits = chunk.subarray(0, left);
        left = 0;
        file.write(fits, () =>
          done(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })),
        );
      },
      destroy(error, done) {
        file.end(() => done(error));
      },
    });
  };
  return { open, opened };
}
