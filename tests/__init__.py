"""The test suite: unit/ (no I/O), local/ (SQLite files, child processes, project files),
e2e/http and e2e/cli (embedded mode), integration/ (real PostgreSQL and Kafka); builders.py plays
the sales activity they share. May import everything it tests."""
