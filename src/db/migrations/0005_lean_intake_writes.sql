DROP INDEX "reports_partner_idx";--> statement-breakpoint
DROP INDEX "changes_committed_idx";--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "state" jsonb;--> statement-breakpoint
CREATE INDEX "reports_amber_partner_idx" ON "reports" USING btree ("partner_id") WHERE tlp = 'amber';--> statement-breakpoint
CREATE INDEX "changes_committed_idx" ON "changes" USING brin ("committed_at");