"""Processes that follow logs: the in-process follower, the Kafka relay and projectors."""
