"""Asynchronous jobs (exports, reports): a store every worker shares, and their lifecycle."""

from mockserver.jobs.store import Job, JobStore

__all__ = ["Job", "JobStore"]
