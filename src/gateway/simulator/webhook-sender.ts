import { createHash } from "node:crypto";
import { Webhook } from "standardwebhooks";
import type { WebhookFaults } from "./faults.js";
import type { Prng } from "./prng.js";
import type { RefundChange } from "./refund-book.js";

export const SIMULATOR_WEBHOOK_USER_AGENT = "RefundDesk-GatewaySimulator/1";

/** What became of one event: sent (once or twice), lost on purpose, or nowhere to send it. */
export interface WebhookEventRecord {
  eventId: string;
  gatewayRefundId: string;
  status: string;
  occurredAt: string;
  fate: "sent" | "duplicated" | "lost" | "no_url";
}

/** One HTTP attempt of one copy of an event. */
export interface WebhookAttemptRecord {
  eventId: string;
  /** 1, or 2 for the duplicate copy. */
  copy: number;
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
}

export interface WebhookStats {
  /** Events the gateway produced (one per refund change). */
  emitted: number;
  /** Events never sent (the `lossRate` fault). */
  lost: number;
  /** Events sent twice (the `duplicateRate` fault). */
  duplicated: number;
  /** Copies the receiver accepted with a 2xx. */
  delivered: number;
  /** Copies given up after every attempt failed. */
  failed: number;
}

export interface WebhookSenderOptions {
  secret: string;
  url: () => string | null;
  faults: () => WebhookFaults;
  prng: Prng;
  maxAttempts: number;
  retryDelayMs: number;
  timeoutMs: number;
  log: (line: string) => void;
}

/** Same event, same id: derived from the refund and its revision. */
export function webhookEventId(gatewayRefundId: string, revision: number): string {
  return `evt_sim_${createHash("sha256").update(`${gatewayRefundId}:${revision}`).digest("hex").slice(0, 24)}`;
}

/**
 * Sends `refund.updated` events signed per Standard Webhooks, retrying non-2xx answers with
 * exponential backoff. Without the reorder fault, first attempts go out one at a time in the
 * order the changes happened; with it, each copy waits a random delay and order is lost.
 */
export class WebhookSender {
  readonly #options: WebhookSenderOptions;
  readonly #signer: Webhook;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #abort = new AbortController();
  #queue: Promise<void> = Promise.resolve();
  /** Bumped by close, so work started before it no longer counts. */
  #generation = 0;
  #inFlight = 0;
  #idleWaiters: Array<() => void> = [];
  events: WebhookEventRecord[] = [];
  attempts: WebhookAttemptRecord[] = [];
  #delivered = 0;
  #failed = 0;

  constructor(options: WebhookSenderOptions) {
    this.#options = options;
    this.#signer = new Webhook(options.secret);
  }

  emit(change: RefundChange): void {
    const faults = this.#options.faults();
    // Always four draws per event, so one fault's setting never shifts the others' sequence.
    const [lossDraw, duplicateDraw, delay1, delay2] = [1, 2, 3, 4].map(() => this.#options.prng.next()) as [
      number,
      number,
      number,
      number,
    ];
    const eventId = webhookEventId(change.refund.gatewayRefundId, change.revision);
    const record: WebhookEventRecord = {
      eventId,
      gatewayRefundId: change.refund.gatewayRefundId,
      status: change.refund.status,
      occurredAt: change.occurredAt,
      fate: "sent",
    };
    this.events.push(record);
    if (this.#options.url() === null) {
      record.fate = "no_url";
      return;
    }
    if (lossDraw < faults.lossRate) {
      record.fate = "lost";
      this.#options.log(`webhook ${eventId} (${change.refund.status}) lost on purpose`);
      return;
    }
    const copies = duplicateDraw < faults.duplicateRate ? 2 : 1;
    if (copies === 2) record.fate = "duplicated";
    // The payload is fixed once; every copy and retry signs exactly these bytes.
    const body = JSON.stringify({
      type: "refund.updated",
      timestamp: change.occurredAt,
      data: change.refund,
    });
    for (let copy = 1; copy <= copies; copy++) {
      this.#inFlight += 1;
      const generation = this.#generation;
      if (faults.reorder) {
        const delay = Math.floor((copy === 1 ? delay1 : delay2) * faults.reorderWindowMs);
        this.#later(delay, () => this.#send(generation, eventId, body, copy, 1));
      } else {
        this.#queue = this.#queue.then(() => this.#send(generation, eventId, body, copy, 1));
      }
    }
  }

  stats(): WebhookStats {
    return {
      emitted: this.events.length,
      lost: this.events.filter((e) => e.fate === "lost").length,
      duplicated: this.events.filter((e) => e.fate === "duplicated").length,
      delivered: this.#delivered,
      failed: this.#failed,
    };
  }

  /** Resolves once every copy is delivered or given up. */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Drops every copy in flight or scheduled; a sender is not used after this. */
  close(): void {
    this.#generation += 1;
    this.#abort.abort();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#queue = Promise.resolve();
    this.#inFlight = 0;
    this.#wakeIdle();
  }

  #later(ms: number, run: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void run();
    }, ms);
    // Pending deliveries alone do not keep a process alive.
    timer.unref();
    this.#timers.add(timer);
  }

  async #send(
    generation: number,
    eventId: string,
    body: string,
    copy: number,
    attempt: number,
  ): Promise<void> {
    const url = this.#options.url();
    if (generation !== this.#generation) return;
    let statusCode: number | null = null;
    let error: string | null = null;
    if (url === null) error = "no webhook URL";
    else {
      const at = new Date();
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "user-agent": SIMULATOR_WEBHOOK_USER_AGENT,
            "webhook-id": eventId,
            // The wall clock, not the simulator's: receivers check it against their own.
            "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
            "webhook-signature": this.#signer.sign(eventId, at, body),
          },
          body,
          redirect: "manual",
          signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#options.timeoutMs)]),
        });
        statusCode = response.status;
        await response.body?.cancel();
        if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
      } catch (cause) {
        error = cause instanceof Error ? cause.message : String(cause);
      }
    }
    if (generation !== this.#generation) return;
    this.attempts.push({ eventId, copy, attempt, at: new Date().toISOString(), statusCode, error });
    if (error === null) {
      this.#delivered += 1;
      this.#done();
    } else if (attempt >= this.#options.maxAttempts) {
      this.#failed += 1;
      this.#options.log(`webhook ${eventId} copy ${copy} given up after ${attempt} attempts: ${error}`);
      this.#done();
    } else {
      const backoff = this.#options.retryDelayMs * 2 ** (attempt - 1);
      this.#later(backoff, () => this.#send(generation, eventId, body, copy, attempt + 1));
    }
  }

  #done(): void {
    this.#inFlight -= 1;
    if (this.#inFlight === 0) this.#wakeIdle();
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
