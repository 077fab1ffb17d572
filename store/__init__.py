"""Persistence adapters: event-store recorders and encodings, the one log reader, the audit chain,
export/import and the SQL database wrapper. May import `domain`; nothing above it."""
