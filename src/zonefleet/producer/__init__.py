"""Periodic tasks: heartbeats of every process, and the tasks one producer owns at a time."""
