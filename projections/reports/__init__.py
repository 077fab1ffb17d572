"""Reports over the ledger's tables: SQL with an "in force at T" predicate, never a replay.

Live, a report reads the current rows; as of T, the history rows whose interval holds T
(`valid_from <= T AND (valid_to IS NULL OR valid_to > T)`), with the pipeline definitions in
force at T. The cost of an answer grows with the rows that match, not with the log. One
module per report (or per family of reports over the same rows); `sql` is what they share.
"""
