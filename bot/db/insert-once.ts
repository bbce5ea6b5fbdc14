import type { mongo } from 'mongoose';
import { isDuplicateKey } from '../errors.js';
import { GroupCommit } from './group-commit.js';

/**
 * Inserts `doc` unless a document with its `_id` exists: true when this call inserted it. The
 * unique `_id` makes it the one compare-and-set that is atomic on MongoDB and on FerretDB alike
 * (whose findOneAndUpdate is a read followed by a write).
 */
export async function insertOnce(collection: mongo.Collection, doc: mongo.Document): Promise<boolean> {
  try {
    await GroupCommit.of(collection).insert(doc);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}
