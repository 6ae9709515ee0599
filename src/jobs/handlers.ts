import { closeDecidedCase } from "../cases/close-decided-case.js";
import { sendDecisionLetter } from "../cases/decision-letters.js";
import { expireInformationRequest, remindInformationRequest } from "../cases/information-requests.js";
import { releaseVerifiedCases } from "../cases/release-verified-cases.js";
import { reviewSubmittedCase } from "../cases/review-submitted-case.js";
import { expireCredits } from "../credits/expire-credits.js";
import { runOrganisationAudit } from "../findings/run-organisation-audit.js";
import { processImport } from "../imports/import-job.js";
import { deliverWebhook } from "../notifications/deliver-webhook.js";
import { sendEmail } from "../notifications/send-email.js";
import { checkPayouts, submitPayout } from "../settlement/submit-payout.js";
import { SYSTEM_ACTORS } from "../shared/context.js";
import type { JobKind } from "./enqueue-job.js";
import type { JobHandler } from "./worker.js";

/** Every job kind and the operation that runs it. */
export const JOB_HANDLERS: Record<JobKind, JobHandler> = {
  "import.process": processImport,
  "notification.email": sendEmail,
  "webhook.deliver": deliverWebhook,
  "case.review": (services, payload) => reviewSubmittedCase(services, String(payload.caseId)),
  "case.letter": (services, payload) => sendDecisionLetter(services, String(payload.decisionId)),
  "case.close": (services, payload) => closeDecidedCase(services, String(payload.caseId)),
  "case.information_reminder": (services, payload) =>
    remindInformationRequest(services, String(payload.informationRequestId)),
  "case.information_deadline": (services, payload) =>
    expireInformationRequest(services, String(payload.informationRequestId)),
  "payout.submit": submitPayout,
  "payout.check": checkPayouts,
  "credit.expire": expireCredits,
  "case.verification_check": async (services, payload) => {
    await releaseVerifiedCases(services, String(payload.organisationId));
  },
  "audit.run": async (services, payload) => {
    await runOrganisationAudit(
      services,
      { actor: SYSTEM_ACTORS.audit, requestId: null },
      { organisationId: String(payload.organisationId) },
    );
  },
};
