/**
 * Instants are shown in the viewer's own time zone with the offset spelled out, e.g.
 * `2026-05-04 18:00 (UTC+08:00)`: a bare "18:00" is ambiguous between a customer in Shanghai and a
 * reviewer in Dublin. The format is the same in every language, so it reads unambiguously in both.
 */
export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "longOffset",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** `GMT+08:00` → `+08:00`; plain `GMT` (zero offset) → `+00:00`. */
function offsetOf(zoneName: string): string {
  const m = /([+-])(\d{1,2})(?::?(\d{2}))?/.exec(zoneName);
  if (!m) return "+00:00";
  return `${m[1]}${m[2]!.padStart(2, "0")}:${m[3] ?? "00"}`;
}

export function formatInstant(iso: string, timeZone: string = viewerTimeZone()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(date)) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} (UTC${offsetOf(parts.timeZoneName ?? "")})`;
}

/** The viewer's current offset, for hints next to date-time inputs. */
export function viewerOffset(): string {
  return `UTC${offsetOf(
    formatter(viewerTimeZone())
      .formatToParts(new Date())
      .find((p) => p.type === "timeZoneName")?.value ?? "",
  )}`;
}

/** A `datetime-local` value (wall time in the viewer's zone) as an ISO instant the API accepts. */
export function localInputToInstant(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** A charge period as two instants in the viewer's zone. */
export function formatPeriod(start: string | null, end: string | null): string {
  if (!start) return "—";
  return end ? `${formatInstant(start)} – ${formatInstant(end)}` : formatInstant(start);
}
