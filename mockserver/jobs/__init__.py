"""Asynchronous jobs (exports, reports): their lifecycle and signed download links."""

from mockserver.jobs.model import Job, job_id

__all__ = ["Job", "job_id"]
