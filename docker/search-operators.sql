-- Run as a superuser in every database the application uses (and in template1, so the test
-- databases made from it inherit it). Idempotent.
--
-- Under row-level security PostgreSQL evaluates the row policy before any condition whose
-- operator is not LEAKPROOF, so such a condition cannot drive an index scan: searches (LIKE,
-- pg_trgm similarity), tag filters (@>) and duplicate checks (&&) would read a workspace's
-- rows one by one. These functions raise no error and have no side effect that depends on
-- the rows they compare, so marking them LEAKPROOF reveals nothing a policy hides, and lets
-- the GIN indexes work. The application never runs SQL written by its users.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;
ALTER FUNCTION textlike(text, text) LEAKPROOF;
ALTER FUNCTION arraycontains(anyarray, anyarray) LEAKPROOF;
ALTER FUNCTION arrayoverlap(anyarray, anyarray) LEAKPROOF;
ALTER FUNCTION similarity_op(text, text) LEAKPROOF;
ALTER FUNCTION word_similarity_op(text, text) LEAKPROOF;
ALTER FUNCTION word_similarity_commutator_op(text, text) LEAKPROOF;
