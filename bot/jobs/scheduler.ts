import type { Connection } from 'mongoose';
import { claim } from '../../models/claim.js';
import { InFlight } from '../lifecycle.js';
import type { Logger } from '../log.js';

export interface Job {
  name: string;
  everyMs: number;
  run(): Promise<void>;
}

/**
 * Runs each job once per period across all processes: the period is numbered (`now / everyMs`)
 * and the process that claims `job|<name>|<period>` first runs it; the others skip it. No lease to
 * renew or expire, and clocks a little apart only move a run within its period.
 */
export class Scheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly tried = new Map<string, number>();
  private readonly running = new InFlight();

  constructor(
    private readonly conn: Connection,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Checks every quarter of its period (at least once a minute) whether the job is due. */
  start(jobs: Job[]): void {
    for (const job of jobs) {
      const timer = setInterval(() => void this.tick(job), Math.min(job.everyMs / 4, 60_000));
      timer.unref();
      this.timers.push(timer);
      void this.tick(job);
    }
  }

  /** Runs `job` if this process is the first to claim the current period. Returns whether it ran. */
  async tick(job: Job): Promise<boolean> {
    const period = Math.floor(this.now() / job.everyMs);
    if ((this.tried.get(job.name) ?? -1) >= period) return false;
    this.tried.set(job.name, period);
    try {
      if (!(await claim(this.conn, `job|${job.name}|${period}`))) return false;
      await this.running.track(() => job.run());
      return true;
    } catch (err) {
      this.log.error({ err, job: job.name }, 'scheduled job failed');
      return false;
    }
  }

  /** Starts no job any more, and waits at most `timeoutMs` for those running (false if they outlast it). */
  async stop(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    return this.running.drain(timeoutMs);
  }
}
