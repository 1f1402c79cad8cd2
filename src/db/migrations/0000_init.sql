CREATE TABLE "audit_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"pattern_id" uuid NOT NULL,
	"partner_id" uuid,
	"event" text NOT NULL,
	"seq" bigint,
	"detail" jsonb NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "changes" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"op" text NOT NULL,
	"pattern_id" uuid NOT NULL,
	"key" text NOT NULL,
	"state" jsonb NOT NULL,
	"prev" jsonb,
	"committed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "feed_state" (
	"id" smallint PRIMARY KEY NOT NULL,
	"head" bigint NOT NULL,
	"pruned_through" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"partner_id" uuid NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" smallint NOT NULL,
	"response" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_partner_id_key_pk" PRIMARY KEY("partner_id","key")
);
--> statement-breakpoint
CREATE TABLE "partners" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"country" text NOT NULL,
	"roles" text[] NOT NULL,
	"key_hash" text NOT NULL,
	"acked_seq" bigint DEFAULT 0 NOT NULL,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "partners_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "patterns" (
	"id" uuid PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"kind" text NOT NULL,
	"prefix" text NOT NULL,
	"length" smallint,
	"country" text,
	"categories" text[] NOT NULL,
	"confidence" smallint NOT NULL,
	"reporters" integer NOT NULL,
	"action" text NOT NULL,
	"status" text NOT NULL,
	"tlp" text NOT NULL,
	"unallocated" boolean NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone,
	"seq" bigint NOT NULL,
	CONSTRAINT "patterns_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"pattern_id" uuid NOT NULL,
	"partner_id" uuid NOT NULL,
	"confidence" smallint NOT NULL,
	"categories" text[] NOT NULL,
	"tlp" text NOT NULL,
	"sightings" integer NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	CONSTRAINT "reports_pattern_id_partner_id_pk" PRIMARY KEY("pattern_id","partner_id")
);
--> statement-breakpoint
CREATE TABLE "sightings" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sightings_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"pattern_id" uuid NOT NULL,
	"partner_id" uuid NOT NULL,
	"batch_id" uuid NOT NULL,
	"item_index" integer NOT NULL,
	"category" text NOT NULL,
	"confidence" smallint NOT NULL,
	"observed_at" timestamp with time zone,
	"received_at" timestamp with time zone NOT NULL,
	"raw" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_pattern_id_patterns_id_fk" FOREIGN KEY ("pattern_id") REFERENCES "public"."patterns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sightings" ADD CONSTRAINT "sightings_pattern_id_patterns_id_fk" FOREIGN KEY ("pattern_id") REFERENCES "public"."patterns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sightings" ADD CONSTRAINT "sightings_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_pattern_idx" ON "audit_events" USING btree ("pattern_id","id");--> statement-breakpoint
CREATE INDEX "changes_committed_idx" ON "changes" USING btree ("committed_at");--> statement-breakpoint
CREATE INDEX "idempotency_created_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "reports_partner_idx" ON "reports" USING btree ("partner_id");--> statement-breakpoint
CREATE INDEX "sightings_pattern_idx" ON "sightings" USING btree ("pattern_id");