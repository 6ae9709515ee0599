import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import nodemailer, { type SendMailOptions } from "nodemailer";
import type { JobHandler } from "../jobs/worker.js";
import type { Services } from "../shared/context.js";
import type { EmailMessageTable } from "../store/schema.js";
import type { EmailAttachment } from "./customer-notice.js";

export const MAIL_FOLDER = "mail";

/** `Refund Desk <refunds@example.com>` → `example.com`. */
function domainOf(address: string): string {
  return /@([^\s>]+)>?\s*$/.exec(address)?.[1] ?? "localhost";
}

/** The same for every attempt of one e-mail, so a resend can be recognised (and de-duplicated). */
export function messageIdFor(emailId: string, mailFrom: string): string {
  return `<${emailId}@${domainOf(mailFrom)}>`;
}

function composed(services: Services, row: EmailMessageTable): SendMailOptions {
  const attachments = JSON.parse(row.attachments) as EmailAttachment[];
  return {
    from: services.config.mailFrom,
    to: JSON.parse(row.recipients) as Array<{ name: string; address: string }>,
    subject: row.subject,
    text: row.text,
    messageId: messageIdFor(row.id, services.config.mailFrom),
    date: services.clock.now(),
    headers: { "X-Refund-Desk-Event": row.event_type, "X-Refund-Desk-Subject": row.subject_id },
    attachments: attachments.map((a) => ({ filename: a.filename, path: a.path, contentType: a.contentType })),
    // Attachments are our own files; never let a path be fetched as a URL.
    disableUrlAccess: true,
  };
}

/** Without SMTP the message is written as `DATA_DIR/mail/<emailId>.eml`, whole or not at all. */
async function writeEml(services: Services, row: EmailMessageTable, message: SendMailOptions) {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  const info = await transport.sendMail(message);
  if (!Buffer.isBuffer(info.message)) throw new Error("the stream transport did not return a buffer");
  const folder = join(services.config.dataDir, MAIL_FOLDER);
  await mkdir(folder, { recursive: true });
  const path = join(folder, `${row.id}.eml`);
  await writeFile(`${path}.tmp`, info.message);
  await rename(`${path}.tmp`, path);
  return { messageId: info.messageId, filePath: path };
}

async function sendSmtp(smtpUrl: string, message: SendMailOptions) {
  const transport = nodemailer.createTransport(smtpUrl);
  try {
    const info = await transport.sendMail(message);
    return { messageId: info.messageId, filePath: null };
  } finally {
    transport.close();
  }
}

/**
 * The `notification.email` job. A message already sent is not sent again (a job can run
 * twice, e.g. after its worker died); a failure is thrown so the worker retries, and the
 * job's last attempt marks the message failed.
 */
export const sendEmail: JobHandler = async (services, payload, job) => {
  const db = services.store.db;
  const row = await db
    .selectFrom("email_messages")
    .selectAll()
    .where("id", "=", String(payload.emailId))
    .executeTakeFirst();
  if (!row || row.status === "sent") return;
  const message = composed(services, row);
  let sent: { messageId: string; filePath: string | null };
  try {
    sent = services.config.smtpUrl
      ? await sendSmtp(services.config.smtpUrl, message)
      : await writeEml(services, row, message);
  } catch (error) {
    if (job.attempts >= job.max_attempts)
      await db.updateTable("email_messages").set({ status: "failed" }).where("id", "=", row.id).execute();
    throw error;
  }
  await db
    .updateTable("email_messages")
    .set({
      status: "sent",
      message_id: sent.messageId,
      file_path: sent.filePath,
      sent_at: services.clock.now().toISOString(),
    })
    .where("id", "=", row.id)
    .execute();
};
