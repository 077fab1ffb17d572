"""Processes that follow logs: the relay (store → Kafka), the projectors (Kafka or in-process →
read models), rebuild jobs, and their Kafka adapter. May import `projections`, `store`, `domain`."""
