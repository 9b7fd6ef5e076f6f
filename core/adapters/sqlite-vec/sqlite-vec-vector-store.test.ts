import { runVectorStoreContract } from '../../contracts/vector-store-contract.ts';
import { openSqliteDatabase } from '../sqlite/open-sqlite-database.ts';
import { SqliteVecVectorStore } from './sqlite-vec-vector-store.ts';

runVectorStoreContract(
  'sqlite-vec',
  async () => new SqliteVecVectorStore(openSqliteDatabase(':memory:'), { ownsDatabase: true }),
);
