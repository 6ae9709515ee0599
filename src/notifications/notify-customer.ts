import { isAbsolute } from "node:path";
import { enqueueJob } from "../jobs/enqueue-job.js";
import { newId } from "../shared/ids.js";
import type { Tx } from "../store/database.js";
import { ALL_EVENTS, type CustomerNotice } from "./customer-notice.js";

/** Attempts of one delivery or e-mail before it is marked failed (2 s … ~4 min of backoff). */
export const NOTIFICATION_MAX_ATTEMPTS = 8;

/** NOTE: the roles that receive case e-mails are the ones that may request refunds (README "Roles"). */
export const EMAIL_RECIPIENT_ROLES = ["owner", "billing_admin", "billing_contact"] as const;

/** The Standard Webhooks payload: exactly these bytes are stored, signed and sent. */
export function webhookPayload(notice: CustomerNotice): string {
  return JSON.stringify({ type: notice.type, timestamp: notice.occurredAt, data: { ...notice.data } });
}

export function subscribedTo(eventsJson: string, type: string): boolean {
  const events: unknown = JSON.parse(eventsJson);
  return Array.isArray(events) && (events.includes(ALL_EVENTS) || events.includes(type));
}

/**
 * Tells the customer about a case event, inside the caller's transaction and with no other
 * I/O: one delivery (and its job) per active endpoint subscribed to the type, one e-mail (and
 * its job) to the organisation's billing contacts. Nothing is sent unless the change commits;
 * the jobs send after commit (a transactional outbox).
 */
export async function notifyCustomer(tx: Tx, notice: CustomerNotice): Promise<void> {
  // A path from our own code (a rendered letter); a URL would make the mailer fetch it.
  for (const a of notice.email?.attachments ?? [])
    if (!isAbsolute(a.path) || a.filename.trim() === "")
      throw new Error(
        `e-mail attachment ${JSON.stringify(a.filename)} needs a file name and an absolute path`,
      );

  const endpoints = await tx
    .selectFrom("webhook_endpoints")
    .select(["id", "events"])
    .where("organisation_id", "=", notice.organisationId)
    .where("status", "=", "active")
    .orderBy("id")
    .execute();
  const payload = webhookPayload(notice);
  for (const endpoint of endpoints) {
    if (!subscribedTo(endpoint.events, notice.type)) continue;
    const deliveryId = newId("webhookDelivery");
    await tx
      .insertInto("webhook_deliveries")
      .values({
        id: deliveryId,
        endpoint_id: endpoint.id,
        organisation_id: notice.organisationId,
        event_type: notice.type,
        subject_id: notice.subjectId,
        payload,
        status: "pending",
        attempts: 0,
        last_status_code: null,
        last_error: null,
        created_at: notice.occurredAt,
        delivered_at: null,
      })
      .execute();
    await enqueueJob(tx, {
      kind: "webhook.deliver",
      payload: { deliveryId },
      at: notice.occurredAt,
      maxAttempts: NOTIFICATION_MAX_ATTEMPTS,
    });
  }

  if (!notice.email) return;
  const recipients = await tx
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select(["users.name as name", "users.email as address"])
    .where("memberships.organisation_id", "=", notice.organisationId)
    .where("memberships.role", "in", EMAIL_RECIPIENT_ROLES)
    .where("users.disabled", "=", 0)
    .orderBy("users.email")
    .execute();
  if (recipients.length === 0) return;
  const emailId = newId("email");
  await tx
    .insertInto("email_messages")
    .values({
      id: emailId,
      organisation_id: notice.organisationId,
      subject_id: notice.subjectId,
      event_type: notice.type,
      recipients: JSON.stringify(recipients),
      subject: notice.email.subject,
      text: notice.email.text,
      attachments: JSON.stringify(notice.email.attachments ?? []),
      status: "pending",
      message_id: null,
      file_path: null,
      created_at: notice.occurredAt,
      sent_at: null,
    })
    .execute();
  await enqueueJob(tx, {
    kind: "notification.email",
    payload: { emailId },
    at: notice.occurredAt,
    maxAttempts: NOTIFICATION_MAX_ATTEMPTS,
  });
}
