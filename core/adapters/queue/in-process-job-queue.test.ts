import { runJobQueueContract } from '../../contracts/job-queue-contract.ts';
import { silentLogger } from '../../logger.ts';
import { openSqliteDatabase } from '../sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../sqlite/sqlite-metadata-store.ts';
import { InProcessJobQueue } from './in-process-job-queue.ts';

runJobQueueContract('in-process', async () => {
  const database = openSqliteDatabase(':memory:');
  const metadata = createSqliteMetadataStore(database);
  await metadata.migrate();
  const queue = new InProcessJobQueue(metadata.jobs, { concurrency: 2, logger: silentLogger });
  return {
    queue,
    jobs: metadata.jobs,
    close: async () => {
      await queue.close();
      await metadata.close();
      database.close();
    },
  };
});
