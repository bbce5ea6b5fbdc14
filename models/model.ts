import type { Connection, Model, Schema } from 'mongoose';

/** The model `name` on this connection, compiled once. */
export function modelOn<T>(conn: Connection, name: string, schema: Schema<T>): Model<T> {
  return (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema);
}
