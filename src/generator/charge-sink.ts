/**
 * Streams charges.csv to disk in large chunks, counts lines, sums each invoice, and keeps the
 * few rows the truth needs (rows of planted situations), never the whole file.
 */
import { type FileHandle, open } from "node:fs/promises";
import { Dec } from "../money/index.js";
import type { Calendar } from "./calendar.js";
import {
  amountsText,
  type ChargeRow,
  CSV_HEADER,
  composeRow,
  midText,
  tailText,
  toUnits,
} from "./focus-row.js";

/** The fields of a row the audit rules read: all the truth keeps of a planted row. */
export type TrackedRow = Pick<
  ChargeRow,
  | "chargePeriodStart"
  | "chargePeriodEnd"
  | "category"
  | "chargeClass"
  | "frequency"
  | "description"
  | "serviceName"
  | "regionId"
  | "resourceId"
  | "skuId"
  | "pricingCategory"
  | "pricingQuantity"
  | "pricingUnit"
  | "contractedUnitPrice"
  | "billedCost"
  | "effectiveCost"
  | "listCost"
  | "commitmentDiscountId"
  | "commitmentDiscountStatus"
  | "promotionId"
>;

export interface TrackedCharge {
  /** `charges.csv:LINE` (header is line 1). */
  ref: string;
  line: number;
  accountId: string;
  row: TrackedRow;
}

function trackedRow(r: ChargeRow): TrackedRow {
  return {
    chargePeriodStart: r.chargePeriodStart,
    chargePeriodEnd: r.chargePeriodEnd,
    category: r.category,
    chargeClass: r.chargeClass,
    frequency: r.frequency,
    description: r.description,
    serviceName: r.serviceName,
    regionId: r.regionId,
    resourceId: r.resourceId,
    skuId: r.skuId,
    pricingCategory: r.pricingCategory,
    pricingQuantity: r.pricingQuantity,
    pricingUnit: r.pricingUnit,
    contractedUnitPrice: r.contractedUnitPrice,
    billedCost: r.billedCost,
    effectiveCost: r.effectiveCost,
    listCost: r.listCost,
    commitmentDiscountId: r.commitmentDiscountId,
    commitmentDiscountStatus: r.commitmentDiscountStatus,
    promotionId: r.promotionId,
  };
}

/**
 * Rows are encoded straight into large reused buffers, which are written whenever the caller
 * awaits `flush()`. (Building multi-megabyte strings instead makes V8 flatten huge ropes, and
 * rows kept in a staging string live long enough to be promoted: old-space garbage, high RSS.)
 */
const BUFFER_BYTES = 8 * 1024 * 1024;

export class ChargeSink {
  readonly fileName: string;
  readonly #fh: FileHandle;
  readonly #calendar: Calendar;
  readonly #heads: readonly (readonly string[])[];
  readonly #headBytes: readonly (readonly Buffer[])[];
  readonly #accountIds: readonly string[];
  readonly #totals: bigint[][];
  readonly #tracked = new Map<string, TrackedCharge[]>();
  readonly #onFlush: (rows: number) => void;
  #buffer: Buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  #used = 0;
  /** Filled buffers waiting to be written, each with the length used. */
  readonly #full: { buffer: Buffer; length: number }[] = [];
  /** Written buffers, reused: allocating fresh 8 MB buffers makes V8 run full collections. */
  readonly #pool: Buffer[] = [];
  #inFlight: Promise<void> | null = null;
  #rows = 0;
  #account = 0;
  #month = 0;

  private constructor(
    fh: FileHandle,
    fileName: string,
    calendar: Calendar,
    heads: readonly (readonly string[])[],
    accountIds: readonly string[],
    onFlush: (rows: number) => void,
  ) {
    this.#fh = fh;
    this.fileName = fileName;
    this.#calendar = calendar;
    this.#heads = heads;
    this.#headBytes = heads.map((row) => row.map((h) => Buffer.from(h, "utf8")));
    this.#accountIds = accountIds;
    this.#totals = accountIds.map(() => new Array<bigint>(calendar.months).fill(0n));
    this.#onFlush = onFlush;
    this.#used = this.#buffer.write(CSV_HEADER, 0, "utf8");
  }

  static async open(
    path: string,
    fileName: string,
    calendar: Calendar,
    heads: readonly (readonly string[])[],
    accountIds: readonly string[],
    onFlush: (rows: number) => void,
  ): Promise<ChargeSink> {
    const fh = await open(path, "w");
    return new ChargeSink(fh, fileName, calendar, heads, accountIds, onFlush);
  }

  get rows(): number {
    return this.#rows;
  }

  /** Rows pushed from now on belong to this account's invoice for this month. */
  begin(accountIndex: number, month: number): void {
    this.#account = accountIndex;
    this.#month = month;
  }

  /** BillingAccountId … BillingPeriodEnd of the current invoice, with a trailing comma. */
  head(): string {
    return this.#heads[this.#account]![this.#month]!;
  }

  /**
   * Hottest path: a line of the current invoice from pre-encoded pieces — charge period start
   * (with its trailing comma), end, and ",mid,amounts,tail\n" — copied without building a string.
   * The caller adds the billed amounts with `addToInvoice`, once per batch.
   */
  pushPieces(start: Uint8Array, end: Uint8Array, rest: Uint8Array): void {
    const head = this.#headBytes[this.#account]![this.#month]!;
    const length = head.length + start.length + end.length + rest.length;
    if (this.#used + length > this.#buffer.length) this.#rotate(length);
    const b = this.#buffer;
    let at = this.#used;
    b.set(head, at);
    at += head.length;
    b.set(start, at);
    at += start.length;
    b.set(end, at);
    at += end.length;
    b.set(rest, at);
    this.#used = at + rest.length;
    this.#rows += 1;
  }

  /** Adds billed amounts (units of 10^-UNIT_SCALE) of rows pushed with `pushPieces`. */
  addToInvoice(billedUnits: bigint): void {
    this.#totals[this.#account]![this.#month]! += billedUnits;
  }

  /** Hot path: a fully formatted line (ending in a newline) of the current invoice. */
  pushText(text: string, billedUnits: bigint): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    if (this.#used + text.length * 3 > this.#buffer.length) this.#rotate(text.length * 3);
    this.#used += this.#buffer.write(text, this.#used, "utf8");
    this.#rows += 1;
    this.#totals[this.#account]![this.#month]! += billedUnits;
  }

  /** A row built field by field; `track` keeps it (with its line) for the truth. Returns its line. */
  pushRow(row: ChargeRow, track?: string): number {
    if (row.accountIndex !== this.#account || row.month !== this.#month) {
      throw new Error("row pushed outside its invoice block");
    }
    const text = composeRow(
      this.head(),
      this.#calendar.isoAt(row.chargePeriodStart),
      this.#calendar.isoAt(row.chargePeriodEnd),
      midText(row),
      amountsText(row),
      tailText(row),
    );
    this.pushText(text, toUnits(new Dec(row.billedCost)));
    const line = this.#rows + 1;
    if (track !== undefined) {
      let list = this.#tracked.get(track);
      if (!list) {
        list = [];
        this.#tracked.set(track, list);
      }
      list.push({
        ref: `${this.fileName}:${line}`,
        line,
        accountId: this.#accountIds[row.accountIndex]!,
        row: trackedRow(row),
      });
    }
    return line;
  }

  #rotate(minBytes: number): void {
    if (this.#used > 0) this.#full.push({ buffer: this.#buffer, length: this.#used });
    const pooled = minBytes <= BUFFER_BYTES ? this.#pool.pop() : undefined;
    this.#buffer = pooled ?? Buffer.allocUnsafe(Math.max(BUFFER_BYTES, minBytes));
    this.#used = 0;
  }

  /** True when full buffers wait to be written: the caller should `await flush()` (backpressure). */
  get shouldFlush(): boolean {
    return this.#full.length > 0;
  }

  /**
   * Starts writing the full buffers and returns once the previous write has finished, so one
   * write overlaps with generating the next buffer and at most two buffers wait in memory.
   */
  async flush(): Promise<void> {
    if (this.#inFlight) await this.#inFlight;
    this.#inFlight = null;
    if (this.#full.length === 0) return;
    const buffers = this.#full.splice(0);
    const rows = this.#rows;
    this.#inFlight = this.#writeAll(buffers).then(() => this.#onFlush(rows));
  }

  async #writeAll(buffers: readonly { buffer: Buffer; length: number }[]): Promise<void> {
    for (const { buffer, length } of buffers) {
      let offset = 0;
      while (offset < length) {
        const { bytesWritten } = await this.#fh.write(buffer, offset, length - offset);
        offset += bytesWritten;
      }
      if (buffer.length === BUFFER_BYTES && this.#pool.length < 2) this.#pool.push(buffer);
    }
  }

  async close(): Promise<void> {
    try {
      if (this.#used > 0) this.#full.push({ buffer: this.#buffer, length: this.#used });
      this.#used = 0;
      await this.flush();
      if (this.#inFlight) await this.#inFlight;
    } finally {
      this.#inFlight = null;
      await this.#fh.close();
    }
  }

  tracked(key: string): readonly TrackedCharge[] {
    return this.#tracked.get(key) ?? [];
  }

  /** Sum of BilledCost of an invoice so far, in units of 10^-UNIT_SCALE. */
  invoiceTotal(accountIndex: number, month: number): bigint {
    return this.#totals[accountIndex]![month]!;
  }
}
