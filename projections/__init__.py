"""Read models: pure folds of the public envelope, their storage and report queries, rebuilds.
May import `store` and `domain`; never the consumers that feed them nor the API."""
