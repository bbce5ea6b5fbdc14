import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_ARGS } from '../../bot/node-args.js';

describe('the Node.js options of the app', () => {
  it('are the ones npm start and npm run dev use', () => {
    const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.start).toBe(`node ${NODE_ARGS.join(' ')} bot/main.ts`);
    expect(scripts.dev).toBe(`node ${NODE_ARGS.join(' ')} --watch bot/main.ts`);
  });
});
