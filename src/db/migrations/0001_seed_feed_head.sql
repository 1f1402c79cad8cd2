-- The change log starts empty: head 0, nothing pruned.
INSERT INTO "feed_state" ("id", "head", "pruned_through") VALUES (1, 0, 0) ON CONFLICT ("id") DO NOTHING;
