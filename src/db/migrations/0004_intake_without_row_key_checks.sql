ALTER TABLE "reports" DROP CONSTRAINT "reports_pattern_id_patterns_id_fk";
--> statement-breakpoint
ALTER TABLE "reports" DROP CONSTRAINT "reports_partner_id_partners_id_fk";
--> statement-breakpoint
ALTER TABLE "sightings" DROP CONSTRAINT "sightings_pattern_id_patterns_id_fk";
--> statement-breakpoint
ALTER TABLE "sightings" DROP CONSTRAINT "sightings_partner_id_partners_id_fk";
